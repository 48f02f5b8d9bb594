#!/usr/bin/python3
"""Drives FakeEks with an official AWS client (botocore's "eks" client) to prove the fake speaks EKS faithfully.

Debian's botocore predates access entries, so the current model (tests/data/aws-models/eks, copied from
botocore) is put first in the session's data loader search paths before the client is made.

Runs the steps given as JSON (--steps) in order and prints ONE JSON array on stdout, one result per step:
  {"ok": true, "response": {...}}                        a call (response without ResponseMetadata)
  {"ok": true, "items": [...], "pages": N}               a paginate step
  {"ok": false, "code": "...", "status": 404, "message": "...", "request_id": "..."}  a refused call
A step is {"call": "create_access_entry", "args": {...}} or {"paginate": "list_access_entries",
"args": {...}, "page_size": N}. Exit status 0; 3 when botocore is not installed (the caller skips); anything
else is a bug. Credentials come from the environment, never from the command line.
"""
import argparse
import json
import sys

try:
    import botocore.config
    import botocore.exceptions
    import botocore.session
except ImportError:
    print("botocore is not installed", file=sys.stderr)
    sys.exit(3)


def refused(err):
    return {"ok": False, "code": err.response["Error"]["Code"],
            "message": err.response["Error"].get("Message", ""),
            "status": err.response["ResponseMetadata"]["HTTPStatusCode"],
            "request_id": err.response["ResponseMetadata"].get("RequestId", "")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--models", required=True, help="the tests/data/aws-models folder")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--steps", required=True)
    args = parser.parse_args()

    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, args.models)
    # Standard retry mode with one retry, so a test can see botocore treat the fake's errors as EKS's.
    config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2},
                                    connect_timeout=5, read_timeout=10)
    eks = session.create_client("eks", endpoint_url=args.endpoint, region_name=args.region, config=config)
    results = []
    for step in json.loads(args.steps):
        try:
            if "paginate" in step:
                paginator = eks.get_paginator(step["paginate"])
                result_key = paginator.result_keys[0].expression
                config = {"PageSize": step["page_size"]} if step.get("page_size") else {}
                items, pages = [], 0
                for page in paginator.paginate(PaginationConfig=config, **step.get("args", {})):
                    pages += 1
                    items.extend(page.get(result_key, []))
                results.append({"ok": True, "items": items, "pages": pages})
            else:
                response = getattr(eks, step["call"])(**step.get("args", {}))
                response.pop("ResponseMetadata", None)
                results.append({"ok": True, "response": response})
        except botocore.exceptions.ClientError as err:
            results.append(refused(err))
    print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
