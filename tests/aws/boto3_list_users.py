#!/usr/bin/python3
"""Drives FakeIam with an official AWS client (boto3) to prove the fake speaks IAM faithfully.

Lists users with boto3's ListUsers paginator and prints one JSON object on stdout:
  {"ok": true, "users": [{"UserName": ..., "Arn": ..., "Path": ...}, ...], "pages": N}
or, when the service refuses the call:
  {"ok": false, "code": "SignatureDoesNotMatch", "status": 403, "request_id": "..."}
Exit status 0 in both cases; 3 when boto3 is not installed (the caller skips); anything else is a bug.
Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) so they
never appear on a command line.
"""
import argparse
import json
import sys

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    print("boto3 is not installed", file=sys.stderr)
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--page-size", type=int, default=None)
    parser.add_argument("--path-prefix", default=None)
    args = parser.parse_args()

    # Standard retry mode with one retry, so a test can see boto3 treat the fake's errors as IAM's.
    config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2},
                                    connect_timeout=5, read_timeout=10)
    iam = boto3.client("iam", endpoint_url=args.endpoint, region_name=args.region, config=config)
    paginate_args = {}
    if args.page_size:
        paginate_args["PaginationConfig"] = {"PageSize": args.page_size}
    if args.path_prefix:
        paginate_args["PathPrefix"] = args.path_prefix
    users = []
    pages = 0
    try:
        for page in iam.get_paginator("list_users").paginate(**paginate_args):
            pages += 1
            for user in page["Users"]:
                users.append({"UserName": user["UserName"], "Arn": user["Arn"], "Path": user["Path"],
                              "UserId": user["UserId"], "CreateDate": user["CreateDate"].isoformat()})
    except botocore.exceptions.ClientError as err:
        print(json.dumps({"ok": False, "code": err.response["Error"]["Code"],
                          "status": err.response["ResponseMetadata"]["HTTPStatusCode"],
                          "request_id": err.response["ResponseMetadata"].get("RequestId", "")}))
        return 0
    print(json.dumps({"ok": True, "users": users, "pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
