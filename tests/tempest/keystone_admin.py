#!/usr/bin/python3
"""keystone_admin.py - small admin calls on the harness Keystone (stdlib only, fast).

  keystone_admin.py set-endpoint SERVICE_TYPE URL
      points the public, internal and admin endpoints of the service (region
      $TT_REGION) at URL, creating them when missing, keeping one per interface.
  keystone_admin.py token USER PASSWORD PROJECT
      prints a project-scoped token of USER (for integration tests).
  keystone_admin.py revoke TOKEN
      revokes TOKEN (as admin).
  keystone_admin.py ensure-user USER PASSWORD PROJECT ROLE
      creates the project and the user (domain Default) when missing and grants ROLE.
  keystone_admin.py short-token USER PASSWORD PROJECT SECONDS
      prints a token of USER that expires in SECONDS: it authenticates with a fresh
      application credential expiring then (Keystone caps the token's expiry at it).
  keystone_admin.py set-enabled USER true|false
      enables or disables USER; disabling revokes every token USER holds.

Reads TT_KS_URL, TT_ADMIN_PASSWORD and TT_REGION from the environment (env.sh).
"""
import json
import os
import sys
import urllib.request

KS = os.environ.get("TT_KS_URL", "http://127.0.0.1:5050")
REGION = os.environ.get("TT_REGION", "RegionOne")


def call(method, path, token=None, body=None, headers=None):
    req = urllib.request.Request(KS + path, method=method)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data, timeout=30) as resp:
        text = resp.read()
        return resp, (json.loads(text) if text else None)


def token(user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    resp, _ = call("POST", "/v3/auth/tokens?nocatalog", body=body)
    return resp.headers["X-Subject-Token"]


def admin_token():
    return token("admin", os.environ.get("TT_ADMIN_PASSWORD", "tempest-admin-pw"), "admin")


def set_endpoint(service_type, url):
    tok = admin_token()
    _, services = call("GET", "/v3/services?type=" + service_type, tok)
    if not services["services"]:
        sys.exit("no service of type %s" % service_type)
    sid = services["services"][0]["id"]
    _, eps = call("GET", "/v3/endpoints?service_id=" + sid, tok)
    for iface in ("public", "internal", "admin"):
        mine = [e for e in eps["endpoints"]
                if e["interface"] == iface and e.get("region_id") == REGION]
        if not mine:
            call("POST", "/v3/endpoints", tok, {"endpoint": {
                "service_id": sid, "interface": iface, "region_id": REGION, "url": url}})
            continue
        call("PATCH", "/v3/endpoints/" + mine[0]["id"], tok, {"endpoint": {"url": url}})
        for extra in mine[1:]:
            call("DELETE", "/v3/endpoints/" + extra["id"], tok)
    print("%s endpoints of region %s now at %s" % (service_type, REGION, url))


def find(kind, name, tok):
    _, body = call("GET", "/v3/%s?name=%s" % (kind, name), tok)
    return body[kind][0]["id"] if body[kind] else None


def ensure_user(user, password, project, role):
    tok = admin_token()
    pid = find("projects", project, tok)
    if pid is None:
        _, body = call("POST", "/v3/projects", tok, {"project": {
            "name": project, "domain_id": "default"}})
        pid = body["project"]["id"]
    uid = find("users", user, tok)
    if uid is None:
        _, body = call("POST", "/v3/users", tok, {"user": {
            "name": user, "password": password, "domain_id": "default",
            "default_project_id": pid}})
        uid = body["user"]["id"]
    rid = find("roles", role, tok)
    call("PUT", "/v3/projects/%s/users/%s/roles/%s" % (pid, uid, rid), tok)
    print(pid)


def short_token(user, password, project, seconds):
    import datetime
    import uuid
    tok = token(user, password, project)
    _, me = call("GET", "/v3/auth/tokens?nocatalog", tok, headers={"X-Subject-Token": tok})
    uid = me["token"]["user"]["id"]
    when = datetime.datetime.utcnow() + datetime.timedelta(seconds=int(seconds))
    _, body = call("POST", "/v3/users/%s/application_credentials" % uid, tok, {
        "application_credential": {"name": "short-" + uuid.uuid4().hex[:8],
                                   "expires_at": when.strftime("%Y-%m-%dT%H:%M:%S")}})
    cred = body["application_credential"]
    auth = {"auth": {"identity": {"methods": ["application_credential"],
                                  "application_credential": {"id": cred["id"],
                                                             "secret": cred["secret"]}}}}
    resp, _ = call("POST", "/v3/auth/tokens?nocatalog", body=auth)
    return resp.headers["X-Subject-Token"]


def set_enabled(user, enabled):
    tok = admin_token()
    uid = find("users", user, tok)
    call("PATCH", "/v3/users/" + uid, tok, {"user": {"enabled": enabled == "true"}})


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "set-endpoint" and len(sys.argv) == 4:
        set_endpoint(sys.argv[2], sys.argv[3].rstrip("/"))
    elif cmd == "token" and len(sys.argv) == 5:
        print(token(*sys.argv[2:5]))
    elif cmd == "revoke" and len(sys.argv) == 3:
        call("DELETE", "/v3/auth/tokens", admin_token(), headers={"X-Subject-Token": sys.argv[2]})
    elif cmd == "ensure-user" and len(sys.argv) == 6:
        ensure_user(*sys.argv[2:6])
    elif cmd == "short-token" and len(sys.argv) == 6:
        print(short_token(*sys.argv[2:6]))
    elif cmd == "set-enabled" and len(sys.argv) == 4:
        set_enabled(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
