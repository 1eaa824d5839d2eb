#!/usr/bin/env python3
"""Golden SigV4 cases shaped like DynamoDB requests.

An independent implementation of Signature Version 4 (Python's hashlib/hmac,
written from the AWS documentation, sharing no code with ddb), so that the C++
signer is checked against something other than itself. Run it to regenerate
cases.json; the C++ tests only read the JSON.
"""
import hashlib, hmac, json, os

def h(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

def hm(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()

def sign(case):
    amz_date = case["amz_date"]
    date = amz_date[:8]
    body = case["body"].encode("utf-8")
    headers = {
        "content-type": "application/x-amz-json-1.0",
        "host": case["host"],
        "x-amz-date": amz_date,
        "x-amz-target": "DynamoDB_20120810." + case["target"],
    }
    if case.get("session_token"):
        headers["x-amz-security-token"] = case["session_token"]
    names = sorted(headers)
    canonical = "\n".join([
        "POST", "/", "",
        "".join(f"{n}:{headers[n]}\n" for n in names),
        ";".join(names),
        h(body),
    ])
    scope = f"{date}/{case['region']}/dynamodb/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, h(canonical.encode())])
    k = hm(("AWS4" + case["secret_access_key"]).encode(), date)
    k = hm(k, case["region"])
    k = hm(k, "dynamodb")
    k = hm(k, "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = (f"AWS4-HMAC-SHA256 Credential={case['access_key_id']}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return dict(case, canonical_request=canonical, string_to_sign=sts, signature=sig, authorization=auth)

base = dict(access_key_id="AKIDEXAMPLE", secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region="us-east-1", host="dynamodb.us-east-1.amazonaws.com", amz_date="20260301T101112Z")
cases = [
    dict(base, name="get-item", target="GetItem",
         body='{"TableName":"users","Key":{"pk":{"S":"user#1"}},"ConsistentRead":true}'),
    dict(base, name="put-item-unicode", target="PutItem", region="eu-west-3",
         host="dynamodb.eu-west-3.amazonaws.com",
         body='{"TableName":"t","Item":{"pk":{"S":"caf\u00e9 \u2603 \U0001F600"},"q":{"S":"say \\"hi\\"\\n"}}}'),
    dict(base, name="query-session-token", target="Query", amz_date="20261231T235959Z",
         session_token="IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+token/=",
         body='{"TableName":"events","KeyConditionExpression":"#p = :v","ExpressionAttributeNames":{"#p":"pk"},'
              '"ExpressionAttributeValues":{":v":{"S":"a"}},"Limit":25}'),
    dict(base, name="local-endpoint-port", target="ListTables", host="127.0.0.1:8000", body="{}"),
    dict(base, name="empty-body-date-rollover", target="DescribeLimits", amz_date="20240229T000000Z", body=""),
]
out = [sign(c) for c in cases]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
