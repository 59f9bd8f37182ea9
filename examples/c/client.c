/*
 * client.c: the course's parrot client in C, the way the course lists the client's calls:
 * socket(), connect(), send()/recv(), close().
 *
 * Each line read on stdin is sent to the server, and its reply printed. It makes the same
 * socket calls as `sockstep client` (tests/examples.rs proves it under strace).
 *
 *   cc -Wall -Wextra -o client client.c
 *   ./client [PORT [IP]]       (defaults: 6789 and 127.0.0.1)
 *   printf 'bonjour\n' | strace -e trace=%network,close ./client
 *
 * Every call's return is checked; a failure names the call (perror) and ends the program.
 */
// ANCHOR: client
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 6789
#define BUF_SIZE 1024 /* the course's recv(1024) */

int main(int argc, char *argv[])
{
    int port = argc > 1 ? atoi(argv[1]) : DEFAULT_PORT;
    const char *ip = argc > 2 ? argv[2] : "127.0.0.1";

    struct sockaddr_in server_addr;
    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons(port); /* network byte order: big-endian */
    if (inet_pton(AF_INET, ip, &server_addr.sin_addr) != 1) {
        fprintf(stderr, "inet_pton(%s): not an IPv4 address\n", ip);
        return 1;
    }

    /* 1. créer une socket: socket() */
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        perror("socket");
        return 1;
    }
    /* 2. se connecter à un couple adresse, port: connect(). The kernel picks a free local
     * port and makes the three-way handshake (SYN, SYN-ACK, ACK) before it returns. */
    if (connect(sock, (struct sockaddr *)&server_addr, sizeof server_addr) < 0) {
        perror("connect");
        return 1;
    }
    /* Nagle's algorithm off, as sockstep does: each line leaves at once. */
    int on = 1;
    if (setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) {
        perror("setsockopt(TCP_NODELAY)");
        return 1;
    }
    fprintf(stderr, "Connexion vers %s:%d réussie.\n", ip, port);

    /* 3. lire et écrire dans la socket: a line out, its reply back. */
    char line[BUF_SIZE];
    char buf[BUF_SIZE];
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strlen(line);
        ssize_t sent = send(sock, line, len, 0); /* strace shows it as sendto */
        if (sent < 0) {
            perror("send");
            return 1;
        }
        if ((size_t)sent != len) { /* the course's check: n != len(message) */
            fprintf(stderr, "Erreur envoi: %zd octets sur %zu.\n", sent, len);
            return 1;
        }
        /* TCP is a byte stream: a reply may come in pieces. Read until its end of line. */
        ssize_t n;
        do {
            n = recv(sock, buf, sizeof buf, 0); /* strace shows it as recvfrom */
            if (n < 0) {
                perror("recv");
                return 1;
            }
            if (n == 0) {
                fprintf(stderr, "Le serveur a fermé la connexion.\n");
                return 1;
            }
            fwrite(buf, 1, (size_t)n, stdout);
            fflush(stdout);
        } while (memchr(buf, '\n', (size_t)n) == NULL);
    }
    if (ferror(stdin)) {
        perror("fgets(stdin)");
        return 1;
    }

    /* The end of the input: say so to the server (FIN) with shutdown(SHUT_WR), then read
     * until the server closes too (recv() returns 0), so that no reply on its way is lost.
     * This is what sockstep's client does; the course goes to close() at once. */
    if (shutdown(sock, SHUT_WR) < 0) {
        perror("shutdown");
        return 1;
    }
    ssize_t n;
    while ((n = recv(sock, buf, sizeof buf, 0)) > 0) {
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
    }
    if (n < 0) {
        perror("recv");
        return 1;
    }
    /* 4. fermer la socket: close() */
    if (close(sock) < 0) {
        perror("close");
        return 1;
    }
    return 0;
}
// ANCHOR_END: client
