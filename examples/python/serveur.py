# serveur.py: the course's parrot server (« perroquet »), its « Exemple complet » as the course
# writes it. One change, so that the tests can run it on a free port of the loopback device:
# the address and the port may be given on the command line, and the server says where it
# listens (getsockname) on a `listening on IP:PORT` line.
#
#   python3 serveur.py [PORT [IP]]     (defaults: 6789 and '', every local address)
#   strace -f -e trace=%network,read,write,close python3 serveur.py

# ANCHOR: serveur
import socket
import sys

# Identification réseau de ce programme
IP = sys.argv[2] if len(sys.argv) > 2 else ''
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 6789
ADRESSE = IP, PORT

# création d'un canal de communication - socket - de type serveur
serveur = socket.socket() # création
serveur.bind(ADRESSE) # association à l'adresse du programme ...
serveur.listen(1) # écoute du réseau
# Added: the port the kernel chose when PORT is 0 (the tests wait for this line).
ip, port = serveur.getsockname()
print('listening on %s:%d' % (ip, port), flush=True)

# on attend une connexion entrante
client, adresseClient = serveur.accept()
print('Connexion de', adresseClient)

# Boucle de dialogue (ici de type «perroquet»)
while True:
    recu = client.recv(1024)
    if len(recu) == 0:
        print('Erreur de réception.')
        break
    else:
        recu = recu.decode('utf-8') # décodage du message reçu
        print('Réception de:', recu)
        reponse = recu.upper() # «perroquet»
        print('Envoi de :', reponse)
        reponse = reponse.encode('utf-8') # encodage du message à émettre
        n = client.send(reponse)
        if n != len(reponse):
            print('Erreur envoi.')
            break
        else:
            print('Envoi ok.')

# si on est là c'est que la connexion est rompue ;
# il faut alors fermer les canaux de communication
print('Fermeture de la connexion avec le client.')
client.close()
print('On se débranche')
serveur.close()
# ANCHOR_END: serveur
