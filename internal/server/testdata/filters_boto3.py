"""Metric and subscription filters through boto3 against the endpoint in argv[1].

Prints one JSON object with what the checks need; the Go test asserts on it.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

logs = boto3.client("logs", endpoint_url=sys.argv[1], config=Config(retries={"max_attempts": 1}))
out = {}
logs.create_log_group(logGroupName="/py")
logs.put_metric_filter(
    logGroupName="/py", filterName="errors", filterPattern="[level = ERROR, ...]",
    metricTransformations=[{"metricName": "Errors", "metricNamespace": "Py", "metricValue": "1", "defaultValue": 0.0}])
d = logs.describe_metric_filters(logGroupName="/py")["metricFilters"]
out["describe"] = [{"filterName": f["filterName"], "filterPattern": f["filterPattern"],
                    "metric": f["metricTransformations"][0]["metricName"],
                    "creationTime": type(f["creationTime"]).__name__} for f in d]
t = logs.test_metric_filter(filterPattern="[level = ERROR, ...]", logEventMessages=["INFO fine", "ERROR broken pipe"])
out["test"] = t["matches"]
logs.put_subscription_filter(logGroupName="/py", filterName="sub", filterPattern="",
                             destinationArn="arn:aws:lambda:us-east-1:000000000000:function:f")
out["subs"] = [f["filterName"] for f in logs.describe_subscription_filters(logGroupName="/py")["subscriptionFilters"]]
try:
    logs.delete_metric_filter(logGroupName="/py", filterName="nope")
    out["deleteMissing"] = "no error"
except ClientError as e:
    out["deleteMissing"] = e.response["Error"]["Code"]
try:
    logs.put_metric_filter(logGroupName="/py", filterName="x", filterPattern="x", metricTransformations=[
        {"metricName": "A", "metricNamespace": "N", "metricValue": "1"},
        {"metricName": "B", "metricNamespace": "N", "metricValue": "1"}])
    out["twoTransformations"] = "no error"
except ClientError as e:
    out["twoTransformations"] = e.response["Error"]["Code"]
print(json.dumps(out, sort_keys=True))
