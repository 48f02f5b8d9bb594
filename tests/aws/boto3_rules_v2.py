#!/usr/bin/python3
"""Drives FakeIam and FakeSts with an official AWS client (boto3): the calls rules v2 adds.

Subcommands, each printing one JSON object on stdout:
  roles  --page-size N                 list_roles paginator: {"ok":true,"roles":[{RoleName,Arn,Path,RoleId}],
                                       "pages":N}
  group  --name G --page-size N        get_group paginator: {"ok":true,"group":{GroupName,Arn},
                                       "users":[{UserName,Arn,UserId}],"pages":N}
  assume --sts-endpoint URL --role-arn ARN [--external-id X]
                                       sts assume_role, then list_users with the returned credentials:
                                       {"ok":true,"assumed_role_arn":...,"users":[Arn,...]}
A refused call prints {"ok":false,"code":...,"status":...}. Exit status 0 in these cases; 3 when boto3 is
not installed (the caller skips). The caller's credentials come from the environment.
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


def client(service, endpoint, region, **creds):
    config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2},
                                    connect_timeout=5, read_timeout=10)
    return boto3.client(service, endpoint_url=endpoint, region_name=region, config=config, **creds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["roles", "group", "assume"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--page-size", type=int, default=None)
    parser.add_argument("--name", default="")
    parser.add_argument("--sts-endpoint", default="")
    parser.add_argument("--role-arn", default="")
    parser.add_argument("--external-id", default="")
    args = parser.parse_args()
    paging = {"PaginationConfig": {"PageSize": args.page_size}} if args.page_size else {}
    iam = client("iam", args.endpoint, args.region)
    try:
        if args.command == "roles":
            roles, pages = [], 0
            for page in iam.get_paginator("list_roles").paginate(**paging):
                pages += 1
                roles += [{"RoleName": r["RoleName"], "Arn": r["Arn"], "Path": r["Path"],
                           "RoleId": r["RoleId"]} for r in page["Roles"]]
            out = {"ok": True, "roles": roles, "pages": pages}
        elif args.command == "group":
            users, pages, group = [], 0, None
            for page in iam.get_paginator("get_group").paginate(GroupName=args.name, **paging):
                pages += 1
                group = {"GroupName": page["Group"]["GroupName"], "Arn": page["Group"]["Arn"]}
                users += [{"UserName": u["UserName"], "Arn": u["Arn"], "UserId": u["UserId"]}
                          for u in page["Users"]]
            out = {"ok": True, "group": group, "users": users, "pages": pages}
        else:
            sts = client("sts", args.sts_endpoint, args.region)
            params = {"RoleArn": args.role_arn, "RoleSessionName": "aws-auth-refresher",
                      "DurationSeconds": 3600}
            if args.external_id:
                params["ExternalId"] = args.external_id
            assumed = sts.assume_role(**params)
            c = assumed["Credentials"]
            other = client("iam", args.endpoint, args.region, aws_access_key_id=c["AccessKeyId"],
                           aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
            arns = []
            for page in other.get_paginator("list_users").paginate():
                arns += [u["Arn"] for u in page["Users"]]
            out = {"ok": True, "assumed_role_arn": assumed["AssumedRoleUser"]["Arn"], "users": arns,
                   "expiration": c["Expiration"].isoformat()}
    except botocore.exceptions.ClientError as err:
        out = {"ok": False, "code": err.response["Error"]["Code"],
               "status": err.response["ResponseMetadata"]["HTTPStatusCode"]}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
