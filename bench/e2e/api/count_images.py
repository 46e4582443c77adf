#!/usr/bin/python3
"""Counts the images a token sees by paging GET /v2/images?limit=LIMIT through
the "next" links. Prints "COUNT FIRST_ID".

  count_images.py URL TOKEN [LIMIT]
"""
import http.client
import json
import sys
import urllib.parse


def main():
    url, token = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    path = "/v2/images?limit=%d" % limit
    n, first = 0, None
    while path:
        conn.request("GET", path, headers={"X-Auth-Token": token})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit("GET %s -> %d %s" % (path, r.status, body[:200]))
        doc = json.loads(body)
        if first is None and doc["images"]:
            first = doc["images"][0]["id"]
        n += len(doc["images"])
        path = doc.get("next")
    print(n, first or "-")


if __name__ == "__main__":
    main()
