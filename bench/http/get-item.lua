-- wrk: post the same GetItem request the ddb bench sends (unsigned: nginx does not check).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.body = '{"TableName":"bench","Key":{"pk":{"S":"user#12345"}}}'
