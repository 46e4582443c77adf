#!/usr/bin/python3
"""Makes COUNT small active images (name ls-NNNNN, 4 KiB of bytes each) in imaged,
for the `ls -l` rows of bench/e2e/mount_bench.sh: PROCS processes, each with one
keep-alive connection, POST /v2/images then PUT its file.

  fill_catalog.py URL COUNT [PROCS]      prints "made N images in S s"
"""
import http.client
import json
import multiprocessing
import os
import sys
import time
import urllib.parse


def request(conn, method, path, body, headers):
    conn.request(method, path, body, headers)
    r = conn.getresponse()
    return r.status, r.read()


def worker(args):
    url, start, count, step = args
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    payload = os.urandom(4096)
    made = 0
    for i in range(start, count, step):
        body = json.dumps({"name": "ls-%05d" % i, "disk_format": "raw",
                           "container_format": "bare"})
        st, data = request(conn, "POST", "/v2/images", body,
                           {"Content-Type": "application/json"})
        if st != 201:
            raise SystemExit("POST /v2/images -> %d %s" % (st, data[:200]))
        image_id = json.loads(data)["id"]
        st, data = request(conn, "PUT", "/v2/images/%s/file" % image_id, payload,
                           {"Content-Type": "application/octet-stream"})
        if st != 204:
            raise SystemExit("PUT file -> %d %s" % (st, data[:200]))
        made += 1
    conn.close()
    return made


def main():
    url, count = sys.argv[1], int(sys.argv[2])
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    t0 = time.monotonic()
    with multiprocessing.Pool(procs) as pool:
        made = sum(pool.map(worker, [(url, p, count, procs) for p in range(procs)]))
    print("made %d images in %.1f s" % (made, time.monotonic() - t0))


if __name__ == "__main__":
    main()
