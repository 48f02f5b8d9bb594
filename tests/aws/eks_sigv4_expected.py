#!/usr/bin/python3
"""Prints what botocore's own SigV4 signer makes of EKS requests whose path holds an encoded ARN.

The expected values in tests/aws/eks_sigv4_test.cpp come from this script (Debian's python3-botocore):
  /usr/bin/python3 tests/aws/eks_sigv4_expected.py
Each case: method, wire path (the ARN percent-encoded as one segment), query, body; botocore's canonical
request and signature for fixed credentials and time.
"""
import datetime
import json
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CASES = [
    ("GET", "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fteam%2Fa.b-c_d~e", "", ""),
    ("DELETE", "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops%2Fdeployer"
     "/access-policies/arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSViewPolicy", "", ""),
    ("POST", "/clusters/prod/access-entries", "", '{"principalArn":"arn:aws:iam::123456789012:user/x"}'),
    ("GET", "/clusters/prod/access-entries", "maxResults=100&nextToken=abc%2Fdef%3D%3D", ""),
]


def main():
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    out = []
    for method, path, query, body in CASES:
        url = "https://eks.eu-west-1.amazonaws.com" + path + ("?" + query if query else "")
        headers = {"Content-Type": "application/json"} if body else {}
        request = AWSRequest(method=method, url=url, headers=headers, data=body)
        auth = SigV4Auth(creds, "eks", "eu-west-1")
        with mock.patch("botocore.auth.datetime") as dt:
            dt.datetime.utcnow.return_value = datetime.datetime(2024, 3, 1, 12, 0, 0)
            auth.add_auth(request)
        authorization = request.headers["Authorization"]
        del request.headers["Authorization"]  # as it was when signed
        out.append({"method": method, "path": path, "query": query, "body": body,
                    "canonical_request": auth.canonical_request(request), "authorization": authorization})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
