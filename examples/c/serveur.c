/*
 * serveur.c: the course's parrot server (« perroquet ») in C, the way the course lists the
 * server's calls: socket(), bind(), listen(), accept(), recv()/send(), close().
 *
 * It serves ONE client, then exits, like the course's Python server and like
 * `sockstep server --model iterative --once`: run both under strace and they make the same
 * socket calls (tests/examples.rs proves it).
 *
 *   cc -Wall -Wextra -o serveur serveur.c
 *   ./serveur [PORT [IP]]      (defaults: 6789 and every local IPv4 address; PORT 0: any free port)
 *   strace -e trace=%network,read,write,close ./serveur
 *
 * Every call's return is checked; a failure names the call (perror) and ends the program.
 */
// ANCHOR: serveur
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 6789
#define BUF_SIZE 1024 /* the course's recv(1024) */
#define BACKLOG 1     /* the course's listen(1) */

int main(int argc, char *argv[])
{
    int port = argc > 1 ? atoi(argv[1]) : DEFAULT_PORT;
    const char *ip = argc > 2 ? argv[2] : "0.0.0.0";

    struct sockaddr_in server_addr;
    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons(port); /* network byte order: big-endian */
    if (inet_pton(AF_INET, ip, &server_addr.sin_addr) != 1) {
        fprintf(stderr, "inet_pton(%s): not an IPv4 address\n", ip);
        return 1;
    }

    /* 1. créer une socket: socket() */
    int listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0) {
        perror("socket");
        return 1;
    }
    /* Without SO_REUSEADDR, restarting the server while a connection it closed first waits
     * in TIME_WAIT fails with EADDRINUSE. */
    int on = 1;
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) {
        perror("setsockopt(SO_REUSEADDR)");
        return 1;
    }
    /* 2. associer une adresse à la socket: bind() */
    if (bind(listen_fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0) {
        perror("bind");
        return 1;
    }
    /* 3. se mettre à l'écoute des connexions: listen() */
    if (listen(listen_fd, BACKLOG) < 0) {
        perror("listen");
        return 1;
    }
    /* Port 0 asked the kernel for any free port: getsockname() tells which. A
     * sockaddr_storage has room for any family's address (128 bytes). */
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(listen_fd, (struct sockaddr *)&bound, &bound_len) < 0) {
        perror("getsockname");
        return 1;
    }
    printf("listening on %s:%d\n", ip, ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout); /* a pipe's stdout is fully buffered: let the line leave now */

    /* 4. accepter une connexion: accept(). It blocks until a client has connected. It could
     * fill in the client's address itself; here getpeername() asks for it afterwards, as
     * sockstep does, so that the two traces match call for call. */
    int conn_fd = accept(listen_fd, NULL, NULL);
    if (conn_fd < 0) {
        perror("accept");
        return 1;
    }
    /* Nagle's algorithm off, as sockstep does: a reply in several small segments must not
     * wait for the client's delayed ACK. */
    if (setsockopt(conn_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) {
        perror("setsockopt(TCP_NODELAY)");
        return 1;
    }
    struct sockaddr_storage client_addr;
    socklen_t client_len = sizeof client_addr;
    if (getpeername(conn_fd, (struct sockaddr *)&client_addr, &client_len) < 0) {
        perror("getpeername");
        return 1;
    }
    char client_ip[INET_ADDRSTRLEN];
    struct sockaddr_in *peer = (struct sockaddr_in *)&client_addr;
    inet_ntop(AF_INET, &peer->sin_addr, client_ip, sizeof client_ip);
    fprintf(stderr, "Connexion de %s:%d\n", client_ip, ntohs(peer->sin_port));

    /* 5. lire et écrire sur la socket: the dialogue loop (« perroquet ») */
    char buf[BUF_SIZE];
    for (;;) {
        ssize_t n = recv(conn_fd, buf, sizeof buf, 0); /* strace shows it as recvfrom */
        if (n < 0) {
            perror("recv");
            break;
        }
        if (n == 0) { /* the client closed its side (FIN): the end of the stream */
            fprintf(stderr, "Fin de la connexion.\n");
            break;
        }
        /* toupper() works byte by byte: ASCII letters only; the bytes of "é" stay as they are. */
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        ssize_t sent = send(conn_fd, buf, (size_t)n, 0); /* strace shows it as sendto */
        if (sent < 0) {
            perror("send");
            break;
        }
        if (sent != n) { /* the course's check: n != len(reponse) */
            fprintf(stderr, "Erreur envoi: %zd octets sur %zd.\n", sent, n);
            break;
        }
    }

    /* 6. fermer les sockets: close() */
    if (close(conn_fd) < 0) {
        perror("close(conn_fd)");
        return 1;
    }
    if (close(listen_fd) < 0) {
        perror("close(listen_fd)");
        return 1;
    }
    return 0;
}
// ANCHOR_END: serveur
