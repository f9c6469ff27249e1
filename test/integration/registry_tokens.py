"""A token service for docker-registry's bearer-token auth: mints RS256 JWTs it accepts.

docker-registry is configured with `auth: token: {realm, service: SERVICE, issuer: ISSUER,
rootcertbundle: TokenIssuer.cert}`; see ../../../shared/reference/oci-artifacts.md.
"""

import base64
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.parse
import uuid

SERVICE = "test-registry"
ISSUER = "test-issuer"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """Mints RS256 JWTs that docker-registry's token auth accepts (x5c header, our own signing cert)."""

    def __init__(self, directory):
        self.key = os.path.join(directory, "token.key")
        self.cert = os.path.join(directory, "token.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=token signer"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()

    def mint(self, repository, actions=("pull",), lifetime=300, access=None):
        """access: [(repository, [actions])] instead of one repository, for tokens with several scopes."""
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]}
        access = access or [(repository, actions)]
        claims = {"iss": ISSUER, "sub": "robot", "aud": SERVICE, "exp": now + lifetime, "nbf": now - 10,
                  "iat": now, "jti": str(uuid.uuid4()),
                  "access": [{"type": "repository", "name": r, "actions": list(a)} for r, a in access]}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode(),
                                   check=True, capture_output=True).stdout
        return signing_input + "." + b64url(signature)


class Realm:
    """The token service: issues pull tokens to robot:pw (Basic), refuses everyone else.

    With grant_requested=True it grants every scope asked for (repeated scope parameters, pull and
    push), and also answers docker's OAuth2 refresh-token grant (POST grant_type=refresh_token) for
    the identity token REFRESH_TOKEN; `scopes` records what was asked."""

    REFRESH_TOKEN = "identity-token-for-robot"

    def __init__(self, issuer, grant_requested=False):
        self.issuer = issuer
        self.requests = 0
        self.scopes = []
        realm = self

        def grant(handler, query):
            scopes = [s.split(":") for s in query.get("scope", [])]
            realm.scopes.append(query.get("scope", []))
            if query.get("service") != [SERVICE] or not scopes or any(len(s) != 3 for s in scopes):
                return handler.refuse()
            access = [(s[1], s[2].split(",")) for s in scopes]
            handler.answer({"access_token": issuer.mint(None, access=access), "expires_in": 300})

        class Handler(http.server.BaseHTTPRequestHandler):
            def refuse(self):
                self.send_response(401)
                self.end_headers()

            def answer(self, doc):
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                realm.requests += 1
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
                if (not grant_requested or form.get("grant_type") != ["refresh_token"]
                        or form.get("refresh_token") != [Realm.REFRESH_TOKEN]):
                    return self.refuse()
                grant(self, form)

            def do_GET(self):
                realm.requests += 1
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                expected = "Basic " + base64.b64encode(b"robot:pw").decode()
                if grant_requested:
                    if self.headers.get("Authorization") != expected:
                        return self.refuse()
                    return grant(self, query)
                scope = query.get("scope", [""])[0].split(":")
                if self.headers.get("Authorization") != expected or query.get("service") != [SERVICE] or len(scope) != 3:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"token": issuer.mint(scope[1]), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def token_auth(realm, issuer):
    """docker-registry's `auth:` lines for bearer tokens from `realm`, signed by `issuer`."""
    return ["auth:", "  token:", "    realm: " + realm.url, "    service: " + SERVICE, "    issuer: " + ISSUER,
            "    rootcertbundle: " + issuer.cert]

