//! The `--step` prompt: the stop before each call. What to look at comes from the call's row in
//! the layer table (`layers::Row::look`), where all that is said of one call is written.

use super::Lang;
use crate::layers;

/// The stop `--step` makes before a call: the call, its layer, what to look at now (the row of
/// `name` in the layer table), and the invitation to press Enter. `pid` is the process's, for
/// `/proc/PID/fd`.
pub fn step_prompt(tag: &str, call: &str, layer: &str, name: &str, pid: u32) -> String {
    let lang = Lang::current();
    let look = layers::row(name)
        .look
        .get(lang)
        .replace("PID", &pid.to_string());
    let (next, layer_word, look_word, enter) = match lang {
        Lang::En => ("next", "layer", "look", "press Enter to make the call"),
        Lang::Fr => ("ensuite", "couche", "à voir", "Entrée pour faire l'appel"),
    };
    format!(
        "{tag}{next}: {call}\n{tag}  {layer_word}: {layer}\n{tag}  {look_word}: {look}\n{tag}  {enter}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prompt's look line is the row's, with `PID` made the process's id.
    #[test]
    fn the_look_line_is_the_rows() {
        let prompt = step_prompt("[t] ", "close(4)", "transport · OSI 4", "close", 4242);
        let look = layers::row("close").look.en.replace("PID", "4242");
        assert!(look.contains("/proc/4242/fd"), "{look}");
        assert_eq!(
            prompt,
            format!(
                "[t] next: close(4)\n[t]   layer: transport · OSI 4\n[t]   look: {look}\n[t]   press Enter to make the call\n"
            )
        );
    }
}
