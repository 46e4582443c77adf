#!/usr/bin/python3
"""Creates COUNT images in imaged through its API, fast: PROCS processes, each
with one keep-alive HTTP/1.1 connection, POSTing /v2/images.

Same shape as Glance's perf set (shared/reference/glance/tools/perf.sh):
name perf-NNNNN, raw/bare, tags ["perf", "x"], two extra properties, queued.

  fill_imaged.py URL TOKEN COUNT [PROCS]      prints "created N images in S s"
"""
import http.client
import json
import multiprocessing
import sys
import time
import urllib.parse


def worker(args):
    url, token, start, count, step = args
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    made = 0
    for i in range(start, count, step):
        body = json.dumps({
            "name": "perf-%05d" % i, "disk_format": "raw", "container_format": "bare",
            "tags": ["perf", "x"], "os_distro": "cirros", "hw_disk_bus": "virtio"})
        for attempt in range(3):
            try:
                conn.request("POST", "/v2/images", body, headers)
                r = conn.getresponse()
                data = r.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                if attempt == 2:
                    raise
        if r.status != 201:
            raise SystemExit("POST /v2/images -> %d %s" % (r.status, data[:200]))
        made += 1
    conn.close()
    return made


def main():
    url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    t0 = time.monotonic()
    with multiprocessing.Pool(procs) as pool:
        made = sum(pool.map(worker, [(url, token, k, count, procs) for k in range(procs)]))
    dt = time.monotonic() - t0
    print("created %d images in %.1f s (%.0f/s, %d keep-alive clients)" % (made, dt, made / dt, procs))


if __name__ == "__main__":
    main()
