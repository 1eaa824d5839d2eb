-- wrk against DynamoDB Local: one fixed, signed-looking GetItem (Local does not check signatures).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
wrk.body = '{"TableName":"bench","Key":{"pk":{"S":"user#12345"}}}'
