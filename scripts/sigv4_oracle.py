#!/usr/bin/env python3
"""SigV4 oracle for drd's Storage tests: signs generated S3 requests with botocore's S3SigV4Auth.

Usage: sigv4_oracle.py [COUNT] [SEED]
Prints a JSON list; each item holds the request as drd's SigV4Signer takes it (decoded path, decoded
query pairs, headers), the payload hash botocore chose, the fixed signing date and botocore's
Authorization header. The Swift test (SigV4OracleTests) signs the same requests and compares.
"""
import datetime
import hashlib
import json
import random
import sys
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 11, 21, 4, 5, 6)
botocore.auth.get_current_datetime = lambda *a, **k: FIXED

KEY_PARTS = ["backups", "db 1", "daily", "x.sql.gz", "a+b", "k=v", "one&two", "til~de", "ünïcødé",
             "日本語", "emoji-😀", "sp  ace", "100%", "semi;colon", "comma,", "paren(s)", "star*",
             "quote'", "at@", "dollar$", "hash#", "q?mark", "brackets[]", "dot.dot", "under_score",
             "-dash", "caret^", "pipe|", "back`tick", "plus+plus", "a%2Fb"]
REGIONS = ["us-east-1", "eu-central-1", "ap-southeast-2", "auto"]


class S3Config:
    def __init__(self, signing):
        self.s3 = {"payload_signing_enabled": signing}


def make(rng, i):
    bucket = rng.choice(["drd-backups", "my.bucket", "b1"])
    key = "/".join(rng.choice(KEY_PARTS) for _ in range(rng.randint(1, 4)))
    path_style = rng.random() < 0.5
    region = rng.choice(REGIONS)
    host = "127.0.0.1:9000" if path_style and rng.random() < 0.3 else (
        f"s3.{region}.amazonaws.com" if path_style else f"{bucket}.s3.{region}.amazonaws.com")
    path = f"/{bucket}/{key}" if path_style else f"/{key}"
    kind = i % 8
    method, query, body, headers = "GET", [], b"", []
    if kind == 0:
        method = "PUT"
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        headers.append(("Content-Type", "application/octet-stream"))
        if rng.random() < 0.5:
            headers.append(("x-amz-server-side-encryption", rng.choice(["AES256", "aws:kms"])))
        if rng.random() < 0.5:
            headers.append(("x-amz-storage-class", "STANDARD_IA"))
    elif kind == 1:
        method, query = "POST", [("uploads", "")]
    elif kind == 2:
        method = "PUT"
        query = [("partNumber", str(rng.randint(1, 10000))), ("uploadId", "VXBsb2FkIElE+/=" + str(rng.random()))]
        body = bytes(rng.randrange(256) for _ in range(64))
        headers.append(("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="))
    elif kind == 3:
        path = f"/{bucket}" if path_style else "/"
        query = [("list-type", "2"), ("prefix", key + "/"), ("max-keys", "1000")]
        if rng.random() < 0.5:
            query.append(("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=" + str(i)))
    elif kind == 4:
        method, query = "POST", [("uploadId", "abc" + str(i))]
        body = b"<CompleteMultipartUpload></CompleteMultipartUpload>"
        headers.append(("Content-Type", "application/xml"))
    elif kind == 5:
        method, query = "DELETE", [("uploadId", "id-" + key)]
    elif kind == 6:
        method = "HEAD"
    else:
        method, query = "POST", [("delete", "")]
        body = b"<Delete><Quiet>true</Quiet></Delete>"
        headers.append(("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="))
    if rng.random() < 0.3:
        headers.append(("Range", f"bytes={rng.randint(0, 99)}-{rng.randint(100, 999)}"))
    token = "FwoGZXIvYXdzE" + "x" * rng.randint(0, 40) + "/+=" if rng.random() < 0.3 else None
    signing = rng.random() < 0.6
    creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + str(i % 3), token)
    qs = "&".join(quote(k, safe="-_.~") + ("=" + quote(v, safe="-_.~") if v or k != "uploads" and k != "delete" else "")
                  for k, v in query)
    url = "https://" + host + quote(path, safe="/~") + ("?" + qs if qs else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    req.context["client_config"] = S3Config(signing)
    S3SigV4Auth(creds, "s3", region).add_auth(req)
    return {
        "method": method, "path": path, "query": [[k, v] for k, v in query],
        "headers": [["Host", host]] + [[k, v] for k, v in headers],
        "payloadHash": req.headers["X-Amz-Content-SHA256"],
        "bodyHash": hashlib.sha256(body).hexdigest(),
        "accessKey": creds.access_key, "secretKey": creds.secret_key, "token": token,
        "region": region, "date": FIXED.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "authorization": req.headers["Authorization"],
    }


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    json.dump([make(rng, i) for i in range(count)], sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
