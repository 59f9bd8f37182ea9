# client.py: the course's parrot client, its « Exemple complet » as the course writes it, with
# its two slips fixed (each marked FIX below) and two additions (marked ADDED): the server's
# address and port may be given on the command line, and the end of the input ends the loop.
#
#   python3 client.py [PORT [IP]]      (defaults: 6789 and '', this machine)
#   printf 'bonjour\n' | strace -e trace=%network,close python3 client.py

# ANCHOR: client
import socket
import sys

IPSERVEUR = '' # pour test en local; sinon mettre la vraie ip
PORT = 6789
# ADDED: PORT and IP from the command line (the tests use a free port on 127.0.0.1).
if len(sys.argv) > 1:
    PORT = int(sys.argv[1])
if len(sys.argv) > 2:
    IPSERVEUR = sys.argv[2]

client = socket.socket()
# FIX: the course writes `HOST` here and on the next line, a name it never defines (NameError);
# the server's address is in IPSERVEUR.
client.connect((IPSERVEUR, PORT))
print('Connexion vers ' + IPSERVEUR + ':' + str(PORT) + ' reussie.')

while True:
    # ADDED: at the end of the input (Ctrl-D, or the end of a pipe) input() raises EOFError;
    # the course's loop has no other way out, and would end in a traceback, its close() unmade.
    try:
        message = input('>>> ')
    except EOFError:
        break
    print('Envoi de :', message)
    message = message.encode('utf-8')
    n = client.send(message)
    if n != len(message):
        print('Erreur envoi.')
        break
    # FIX: the course indents this `else:` by 3 spaces where its `if` has 4: an
    # IndentationError, and the program does not start at all.
    else:
        print('Envoi ok.')
        print('Reception...')
        recu = client.recv(1024)
        recu = recu.decode('utf-8')
        print('Recu :', recu)

print('Déconnexion.')
client.close()
# ANCHOR_END: client
