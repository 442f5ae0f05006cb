"""One scripted sequence of CloudWatch Logs calls through boto3.

Usage: python3 diff_sequence.py ENDPOINT_URL
Prints a JSON object: step name -> normalized result ({"ok": ...} or
{"error": code, "message": ...}). The Go differential test runs it against
moto_server and against logwarden and compares the two.
"""
import json
import re
import sys
import time

import boto3
from botocore.config import Config

TOKEN_KEYS = {"nextToken", "nextForwardToken", "nextBackwardToken", "nextSequenceToken", "uploadSequenceToken"}
TIME_KEYS = {"creationTime", "ingestionTime", "lastIngestionTime"}
EVENT_TIME_KEYS = {"timestamp", "firstEventTimestamp", "lastEventTimestamp"}
BASE = [0]  # event timestamps are printed relative to this


def norm(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "ResponseMetadata":
                continue
            if k in TOKEN_KEYS:
                out[k] = "<token>" if x else x
            elif k == "creationTime" and "filterName" in v:
                continue  # moto's metric filters have none: step mf_has_creation_time
            elif k in TIME_KEYS:
                out[k] = "<time>"
            elif k in EVENT_TIME_KEYS and isinstance(x, int):
                out[k] = x - BASE[0]
            elif k == "eventId":
                out[k] = "<id>"
            elif k in ("storedBytes", "metricFilterCount", "logGroupClass", "deletionProtectionEnabled", "logGroupArn", "kmsKeyId"):
                continue  # reported differently by each server; checked elsewhere
            else:
                out[k] = norm(x)
        return out
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str):
        return re.sub(r":\d{12}:", ":ACCOUNT:", v)
    return v


def main():
    url = sys.argv[1]
    c = boto3.client("logs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDDIFF",
                     aws_secret_access_key="secret", config=Config(retries={"max_attempts": 1}))
    now = int(time.time() * 1000)
    base = now - 60_000
    BASE[0] = base
    day = 86_400_000
    results = {}

    def step(name, fn, **kw):
        try:
            r = fn(**kw)
            results[name] = {"ok": norm(r)}
        except c.exceptions.ClientError as e:
            results[name] = {"error": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", "")}
        except Exception as e:  # noqa: BLE001 - a server fault is a result too
            results[name] = {"fault": type(e).__name__}

    g = "/diff/app"
    step("create_group", c.create_log_group, logGroupName=g)
    step("create_group_dup", c.create_log_group, logGroupName=g)
    step("create_other_group", c.create_log_group, logGroupName="/other")
    step("create_group_bad_name", c.create_log_group, logGroupName="bad name!")
    for s in ("s1", "a@b", "a@c"):
        step("create_stream_" + s, c.create_log_stream, logGroupName=g, logStreamName=s)
    step("create_stream_dup", c.create_log_stream, logGroupName=g, logStreamName="s1")
    step("create_stream_no_group", c.create_log_stream, logGroupName="/nope", logStreamName="x")
    step("put", c.put_log_events, logGroupName=g, logStreamName="s1",
         logEvents=[{"timestamp": base, "message": "ERROR disk full"}, {"timestamp": base + 1, "message": "INFO ok"},
                    {"timestamp": base + 2, "message": "h\u00e9llo"}])
    step("put_rejected", c.put_log_events, logGroupName=g, logStreamName="s1",
         logEvents=[{"timestamp": now - 15 * day, "message": "old"}, {"timestamp": base + 3, "message": "ok1"},
                    {"timestamp": base + 4, "message": "ok2"}, {"timestamp": now + 3 * 3_600_000, "message": "future"}])
    step("put_unsorted", c.put_log_events, logGroupName=g, logStreamName="s1",
         logEvents=[{"timestamp": base + 5, "message": "b"}, {"timestamp": base + 4, "message": "a"}])
    step("put_missing_stream", c.put_log_events, logGroupName=g, logStreamName="nope",
         logEvents=[{"timestamp": base, "message": "x"}])
    step("put_ab", c.put_log_events, logGroupName=g, logStreamName="a@b",
         logEvents=[{"timestamp": base + 10, "message": "ab-1"}, {"timestamp": base + 12, "message": "ab-2"}])
    step("put_ac", c.put_log_events, logGroupName=g, logStreamName="a@c",
         logEvents=[{"timestamp": base + 11, "message": "ac-1"}, {"timestamp": base + 13, "message": "ac-2"}])
    step("get_head", c.get_log_events, logGroupName=g, logStreamName="s1", startFromHead=True)
    step("get_limit", c.get_log_events, logGroupName=g, logStreamName="s1", startFromHead=True, limit=2)
    step("get_end_exclusive", c.get_log_events, logGroupName=g, logStreamName="s1", startFromHead=True,
         startTime=base, endTime=base + 1)
    step("get_missing_stream", c.get_log_events, logGroupName=g, logStreamName="nope")
    step("describe_groups", c.describe_log_groups)
    step("describe_groups_prefix", c.describe_log_groups, logGroupNamePrefix="/diff")
    step("describe_groups_pattern", c.describe_log_groups, logGroupNamePattern="diff")
    step("describe_streams", c.describe_log_streams, logGroupName=g)
    step("describe_streams_prefix", c.describe_log_streams, logGroupName=g, logStreamNamePrefix="a@")
    step("describe_streams_last_event_prefix", c.describe_log_streams, logGroupName=g, orderBy="LastEventTime",
         logStreamNamePrefix="a")
    step("filter_pattern", c.filter_log_events, logGroupName=g, logStreamNames=["s1"], filterPattern="ERROR")
    step("filter_interleaved", c.filter_log_events, logGroupName=g, logStreamNames=["a@b", "a@c"])
    page1 = None
    try:
        page1 = c.filter_log_events(logGroupName=g, logStreamNames=["a@b", "a@c"], limit=1)
    except Exception:  # noqa: BLE001
        pass
    if page1 and page1.get("nextToken"):
        step("filter_page2_at_names", c.filter_log_events, logGroupName=g, logStreamNames=["a@b", "a@c"], limit=1,
             nextToken=page1["nextToken"])
    else:
        results["filter_page2_at_names"] = {"no_token": True}
    step("filter_prefix", c.filter_log_events, logGroupName=g, logStreamNamePrefix="a@c")
    step("retention_bad", c.put_retention_policy, logGroupName=g, retentionInDays=8)
    step("retention_ok", c.put_retention_policy, logGroupName=g, retentionInDays=7)
    step("describe_after_retention", c.describe_log_groups, logGroupNamePrefix="/diff")
    step("delete_retention", c.delete_retention_policy, logGroupName=g)
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:" + g
    step("tag", c.tag_resource, resourceArn=arn, tags={"env": "test"})
    step("list_tags", c.list_tags_for_resource, resourceArn=arn)
    step("tag_missing", c.tag_resource, resourceArn=arn + "-missing", tags={"env": "test"})
    mt = [{"metricName": "Errors", "metricNamespace": "Diff", "metricValue": "1", "defaultValue": 0.0}]
    step("mf_put", c.put_metric_filter, logGroupName=g, filterName="errors", filterPattern="ERROR",
         metricTransformations=mt)
    step("mf_put_b", c.put_metric_filter, logGroupName=g, filterName="b-denied", filterPattern='"denied"',
         metricTransformations=mt)
    step("mf_put_missing_group", c.put_metric_filter, logGroupName="/nope", filterName="x", filterPattern="",
         metricTransformations=mt)
    step("mf_put_two_transformations", c.put_metric_filter, logGroupName=g, filterName="x", filterPattern="",
         metricTransformations=mt + mt)
    try:
        fs = c.describe_metric_filters(logGroupName=g)["metricFilters"]
        results["mf_has_creation_time"] = {"ok": all(isinstance(f.get("creationTime"), int) for f in fs)}
    except c.exceptions.ClientError as e:
        results["mf_has_creation_time"] = {"error": e.response["Error"]["Code"]}
    step("mf_describe_prefix", c.describe_metric_filters, logGroupName=g, filterNamePrefix="err")
    step("mf_describe", c.describe_metric_filters, logGroupName=g)
    step("mf_describe_metric", c.describe_metric_filters, metricName="Errors", metricNamespace="Diff")
    step("mf_put_update", c.put_metric_filter, logGroupName=g, filterName="errors", filterPattern="?ERROR ?FATAL",
         metricTransformations=mt)
    step("mf_describe_after_update", c.describe_metric_filters, logGroupName=g)
    step("mf_delete", c.delete_metric_filter, logGroupName=g, filterName="b-denied")
    step("mf_delete_missing", c.delete_metric_filter, logGroupName=g, filterName="b-denied")
    step("delete_stream", c.delete_log_stream, logGroupName=g, logStreamName="s1")
    step("delete_stream_again", c.delete_log_stream, logGroupName=g, logStreamName="s1")
    step("delete_group", c.delete_log_group, logGroupName=g)
    step("delete_group_again", c.delete_log_group, logGroupName=g)
    step("mf_describe_after_group_delete", c.describe_metric_filters)
    json.dump(results, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
