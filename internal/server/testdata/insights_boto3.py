"""Logs Insights through boto3.

Usage: python3 insights_boto3.py ENDPOINT_URL NOW_MS
Creates /py/insights with one stream, runs a few queries to the end and
prints a JSON object: step name -> the response (without metadata) or
{"error": code, "location": ...}. The Go test checks the answers.
"""
import json
import sys
import time

import boto3
from botocore.config import Config

url, now = sys.argv[1], int(sys.argv[2])
c = boto3.client("logs", endpoint_url=url, region_name="us-east-1",
                 config=Config(retries={"max_attempts": 1}))
c.create_log_group(logGroupName="/py/insights")
c.create_log_stream(logGroupName="/py/insights", logStreamName="s")
c.put_log_events(logGroupName="/py/insights", logStreamName="s", logEvents=[
    {"timestamp": now - 3000, "message": '{"level":"INFO","ms":10}'},
    {"timestamp": now - 2000, "message": '{"level":"ERROR","ms":30}'},
    {"timestamp": now - 1000, "message": '{"level":"ERROR","ms":50}'},
])


def run(**kw):
    qid = c.start_query(logGroupName="/py/insights", startTime=now // 1000 - 60,
                        endTime=now // 1000 + 1, **kw)["queryId"]
    deadline = time.time() + 10
    while True:
        r = c.get_query_results(queryId=qid)
        if r["status"] not in ("Scheduled", "Running") or time.time() > deadline:
            r.pop("ResponseMetadata", None)
            return qid, r
        time.sleep(0.01)


out = {}
_, out["stats"] = run(queryString="stats count(*) as n, avg(ms) as avg_ms, max(ms) by level | sort level")
_, out["fields"] = run(queryString="fields level, ms | filter ms > 20 | sort ms asc", limit=1)
try:
    c.start_query(logGroupName="/py/insights", startTime=0, endTime=1, queryString="fields a | nosuch(x)")
except c.exceptions.MalformedQueryException as e:
    out["malformed"] = {"error": e.response["Error"]["Code"],
                        "location": e.response.get("queryCompileError", {}).get("location")}
d = c.describe_queries(logGroupName="/py/insights")
out["describe"] = [{"status": q["status"], "createTime": q["createTime"]} for q in d["queries"]]
print(json.dumps(out))
