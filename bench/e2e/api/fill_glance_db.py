#!/usr/bin/python3
"""Fills Glance's sqlite database directly with COUNT images (its API creates
only ~14 images/s here). Rows have exactly the shape that POST /v2/images
writes for the perf set: images (queued, shared, owner, raw/bare, deleted 0,
os_hidden 0), two image_properties (os_distro, hw_disk_bus), two image_tags
(perf, x). created_at/updated_at step by 1 ms so the default sort is stable.

  fill_glance_db.py DB COUNT [OWNER]      prints "inserted N images in S s"
"""
import datetime
import sqlite3
import sys
import time
import uuid


def main():
    db, count = sys.argv[1], int(sys.argv[2])
    owner = sys.argv[3] if len(sys.argv) > 3 else "projP"
    t0 = time.monotonic()
    base = datetime.datetime.utcnow() - datetime.timedelta(days=1)
    images, props, tags = [], [], []
    for i in range(count):
        iid = str(uuid.uuid4())
        ts = (base + datetime.timedelta(milliseconds=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
        images.append((iid, "perf-%05d" % i, None, "queued", ts, ts, None, 0, "raw", "bare",
                       None, owner, 0, 0, 0, None, "shared", 0, None, None))
        props.append((iid, "os_distro", "cirros", ts, ts, None, 0))
        props.append((iid, "hw_disk_bus", "virtio", ts, ts, None, 0))
        tags.append((iid, "perf", ts, ts, None, 0))
        tags.append((iid, "x", ts, ts, None, 0))
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.executemany(
            "INSERT INTO images (id, name, size, status, created_at, updated_at, deleted_at,"
            " deleted, disk_format, container_format, checksum, owner, min_disk, min_ram,"
            " protected, virtual_size, visibility, os_hidden, os_hash_algo, os_hash_value)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", images)
        con.executemany(
            "INSERT INTO image_properties (image_id, name, value, created_at, updated_at,"
            " deleted_at, deleted) VALUES (?,?,?,?,?,?,?)", props)
        con.executemany(
            "INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted_at,"
            " deleted) VALUES (?,?,?,?,?,?)", tags)
    con.execute("ANALYZE")
    con.close()
    print("inserted %d images in %.1f s (sqlite, directly)" % (count, time.monotonic() - t0))


if __name__ == "__main__":
    main()
