-- wrk pipelining: every connection writes 16 GetItem requests at once and
-- reads their 16 replies before writing again (64 in flight with -c4). It
-- signs nothing and parses no JSON: the floor that loopback TCP sets for a
-- pipelining client on this machine, measured beside ddb.
local depth = 16
init = function(args)
  local one = wrk.format("POST", "/", {["Content-Type"] = "application/x-amz-json-1.0",
                                       ["X-Amz-Target"] = "DynamoDB_20120810.GetItem"},
                         '{"TableName":"bench","Key":{"pk":{"S":"user#12345"}}}')
  batch = string.rep(one, depth)
end
request = function() return batch end
