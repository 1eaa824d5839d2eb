// DynamoDB Streams requests and responses as JSON (pure code): the four
// operations' bodies, and one record as a JSON line.
#include <charconv>

#include "core/json_read.hpp"
#include "streams/codec.hpp"

namespace ddb::streams::detail {

using json::located;
using namespace json::detail;

void write_double(json::writer& w, double d) {
  char buf[32];
  w.raw(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, d).ptr - buf)));
}

namespace {

template <class F>
result<std::string> encode_with(F&& write) {
  std::string out;
  json::writer w(out);
  w.begin_object();
  if (auto r = write(w); !r) return std::move(r).error();
  w.end_object();
  return out;
}

// A request string: valid UTF-8, or an error naming the member.
template <std::size_t N>
result<void> member(json::writer& w, const char (&name)[N], const std::string& v) {
  if (!json::valid_utf8(v))
    return fail(errc::invalid_utf8, std::string(name) + " is not valid UTF-8");
  w.key(name);
  w.string(v);
  return {};
}

result<void> required(const char* name, const std::string& v) {
  if (v.empty()) return fail(errc::invalid_config, std::string(name) + " is required");
  return {};
}

result<void> limit(json::writer& w, int n, int max) {
  if (n < 0 || n > max)
    return fail(errc::invalid_config, "Limit must be between 1 and " + std::to_string(max) + " (0: the default)");
  if (n > 0) {
    w.key("Limit");
    w.integer(n);
  }
  return {};
}

}  // namespace

result<std::string> encode(const list_streams_request& r) {
  return encode_with([&](json::writer& w) -> result<void> {
    if (!r.table_name.empty())
      if (auto x = member(w, "TableName", r.table_name); !x) return x;
    if (!r.exclusive_start_stream_arn.empty())
      if (auto x = member(w, "ExclusiveStartStreamArn", r.exclusive_start_stream_arn); !x) return x;
    return limit(w, r.limit, 100);
  });
}

result<std::string> encode(const describe_stream_request& r) {
  return encode_with([&](json::writer& w) -> result<void> {
    if (auto x = required("StreamArn", r.stream_arn); !x) return x;
    if (auto x = member(w, "StreamArn", r.stream_arn); !x) return x;
    if (!r.exclusive_start_shard_id.empty())
      if (auto x = member(w, "ExclusiveStartShardId", r.exclusive_start_shard_id); !x) return x;
    return limit(w, r.limit, 100);
  });
}

std::string_view iterator_type_name(iterator_type t) noexcept {
  switch (t) {
    case iterator_type::trim_horizon: return "TRIM_HORIZON";
    case iterator_type::latest: return "LATEST";
    case iterator_type::at_sequence_number: return "AT_SEQUENCE_NUMBER";
    case iterator_type::after_sequence_number: return "AFTER_SEQUENCE_NUMBER";
  }
  return "TRIM_HORIZON";
}

result<std::string> encode(const get_shard_iterator_request& r) {
  return encode_with([&](json::writer& w) -> result<void> {
    if (auto x = required("StreamArn", r.stream_arn); !x) return x;
    if (auto x = required("ShardId", r.shard_id); !x) return x;
    const bool at = r.type == iterator_type::at_sequence_number || r.type == iterator_type::after_sequence_number;
    if (at && r.sequence_number.empty())
      return fail(errc::invalid_config, std::string(iterator_type_name(r.type)) + " needs a SequenceNumber");
    if (!at && !r.sequence_number.empty())
      return fail(errc::invalid_config, "SequenceNumber goes only with AT_ or AFTER_SEQUENCE_NUMBER");
    if (auto x = member(w, "StreamArn", r.stream_arn); !x) return x;
    if (auto x = member(w, "ShardId", r.shard_id); !x) return x;
    w.key("ShardIteratorType");
    w.string(iterator_type_name(r.type));
    if (at)
      if (auto x = member(w, "SequenceNumber", r.sequence_number); !x) return x;
    return {};
  });
}

result<std::string> encode(const get_records_request& r) {
  return encode_with([&](json::writer& w) -> result<void> {
    if (auto x = required("ShardIterator", r.shard_iterator); !x) return x;
    if (auto x = member(w, "ShardIterator", r.shard_iterator); !x) return x;
    return limit(w, r.limit, 1000);
  });
}

namespace {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Calls f(key, value) for each member of an object value.
template <class F>
located each_member(value& v, const char* what, F&& f) {
  object o;
  if (auto ec = v.get_object().get(o)) return from_simdjson(ec, what);
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return from_simdjson(ec, "a member name");
    value fv;
    if (auto ec = field.value().get(fv)) return from_simdjson(ec, "a value");
    if (auto e = f(key, fv)) return std::move(e).under_key(key);
  }
  return {};
}

template <class F>
located each_element(value& v, F&& f) {
  simdjson::ondemand::array arr;
  if (auto ec = v.get_array().get(arr)) return from_simdjson(ec, "a JSON array");
  std::size_t i = 0;
  for (auto element : arr) {
    if (auto ec = element.error()) return from_simdjson(ec, "an array element").under_index(i);
    if (auto e = f(element.value_unsafe())) return std::move(e).under_index(i);
    ++i;
  }
  return {};
}

located read_double(value& v, double& out) {
  if (auto ec = v.get_double().get(out)) return from_simdjson(ec, "a number");
  return {};
}

located read_u64(value& v, std::uint64_t& out) {
  if (auto ec = v.get_uint64().get(out)) return from_simdjson(ec, "a non-negative integer");
  return {};
}

located read_an_item(value& v, ddb::item& out) {
  object o;
  if (auto ec = v.get_object().get(o)) return from_simdjson(ec, "an item (an object of attribute values)");
  return read_item(o, 1, out);
}

located read_stream(value& v, stream& s) {
  return each_member(v, "a stream object", [&](std::string_view k, value& x) -> located {
    if (k == "StreamArn") return read_string(x, s.stream_arn);
    if (k == "TableName") return read_string(x, s.table_name);
    if (k == "StreamLabel") return read_string(x, s.stream_label);
    return {};
  });
}

located read_shard(value& v, shard& s) {
  return each_member(v, "a shard object", [&](std::string_view k, value& x) -> located {
    if (k == "ShardId") return read_string(x, s.shard_id);
    if (k == "ParentShardId") return read_string(x, s.parent_shard_id);
    if (k == "SequenceNumberRange")
      return each_member(x, "a sequence number range", [&](std::string_view rk, value& rx) -> located {
        if (rk == "StartingSequenceNumber") return read_string(rx, s.starting_sequence_number);
        if (rk == "EndingSequenceNumber") return read_string(rx, s.ending_sequence_number);
        return {};
      });
    return {};
  });
}

located read_description(value& v, description& d) {
  return each_member(v, "a stream description", [&](std::string_view k, value& x) -> located {
    if (k == "StreamArn") return read_string(x, d.stream_arn);
    if (k == "StreamLabel") return read_string(x, d.stream_label);
    if (k == "StreamStatus") return read_string(x, d.stream_status);
    if (k == "StreamViewType") return read_string(x, d.stream_view_type);
    if (k == "TableName") return read_string(x, d.table_name);
    if (k == "CreationRequestDateTime") return read_double(x, d.creation_request_date_time);
    if (k == "LastEvaluatedShardId") return read_string(x, d.last_evaluated_shard_id);
    if (k == "Shards") return each_element(x, [&](value& e) { return read_shard(e, d.shards.emplace_back()); });
    if (k == "KeySchema")
      return each_element(x, [&](value& e) {
        key_element& ke = d.key_schema.emplace_back();
        return each_member(e, "a key schema element", [&](std::string_view kk, value& kx) -> located {
          if (kk == "AttributeName") return read_string(kx, ke.attribute_name);
          if (kk == "KeyType") return read_string(kx, ke.key_type);
          return {};
        });
      });
    return {};
  });
}

located read_change(value& v, record& r) {
  return each_member(v, "the record's dynamodb object", [&](std::string_view k, value& x) -> located {
    if (k == "Keys") return read_an_item(x, r.keys);
    if (k == "NewImage") return read_an_item(x, r.new_image.emplace());
    if (k == "OldImage") return read_an_item(x, r.old_image.emplace());
    if (k == "SequenceNumber") return read_string(x, r.sequence_number);
    if (k == "SizeBytes") return read_u64(x, r.size_bytes);
    if (k == "StreamViewType") return read_string(x, r.stream_view_type);
    if (k == "ApproximateCreationDateTime") return read_double(x, r.approximate_creation_date_time);
    return {};
  });
}

located read_record(value& v, record& r) {
  return each_member(v, "a record object", [&](std::string_view k, value& x) -> located {
    if (k == "eventID") return read_string(x, r.event_id);
    if (k == "eventName") return read_string(x, r.event_name);
    if (k == "eventVersion") return read_string(x, r.event_version);
    if (k == "eventSource") return read_string(x, r.event_source);
    if (k == "awsRegion") return read_string(x, r.aws_region);
    if (k == "dynamodb") return read_change(x, r);
    if (k == "userIdentity")
      return each_member(x, "a user identity", [&](std::string_view uk, value& ux) -> located {
        if (uk == "PrincipalId") return read_string(ux, r.user_identity_principal_id);
        if (uk == "Type") return read_string(ux, r.user_identity_type);
        return {};
      });
    return {};
  });
}

template <class Read>
std::optional<failure> decode_body(const std::string& body, Read&& read) {
  located e = parse_document(body, [&](simdjson::ondemand::document& doc) -> located {
    value v;
    if (auto ec = doc.get_value().get(v)) return from_simdjson(ec, "a JSON object");
    return read(v);
  });
  if (!e) return std::nullopt;
  failure f = e.to_failure("response");
  f.message = "the Streams response could not be read: " + f.message;
  return f;
}

}  // namespace

std::optional<failure> decode(const std::string& body, list_streams_response& out) {
  return decode_body(body, [&](value& v) {
    return each_member(v, "a JSON object", [&](std::string_view k, value& x) -> located {
      if (k == "Streams") return each_element(x, [&](value& e) { return read_stream(e, out.streams.emplace_back()); });
      if (k == "LastEvaluatedStreamArn") return read_string(x, out.last_evaluated_stream_arn);
      return {};
    });
  });
}

std::optional<failure> decode(const std::string& body, describe_stream_response& out) {
  bool seen = false;
  auto f = decode_body(body, [&](value& v) {
    return each_member(v, "a JSON object", [&](std::string_view k, value& x) -> located {
      if (k != "StreamDescription") return {};
      seen = true;
      return read_description(x, out.stream_description);
    });
  });
  if (!f && !seen) return fail(errc::unexpected_json, "the DescribeStream response has no StreamDescription");
  return f;
}

std::optional<failure> decode(const std::string& body, get_shard_iterator_response& out) {
  return decode_body(body, [&](value& v) {
    return each_member(v, "a JSON object", [&](std::string_view k, value& x) -> located {
      if (k == "ShardIterator") return read_string(x, out.shard_iterator);
      return {};
    });
  });
}

std::optional<failure> decode(const std::string& body, get_records_response& out) {
  return decode_body(body, [&](value& v) {
    return each_member(v, "a JSON object", [&](std::string_view k, value& x) -> located {
      if (k == "Records") return each_element(x, [&](value& e) { return read_record(e, out.records.emplace_back()); });
      if (k == "NextShardIterator") {
        bool null = false;
        if (auto ec = x.is_null().get(null)) return from_simdjson(ec, "a string or null");
        if (null) return located{};
        return read_string(x, out.next_shard_iterator);
      }
      return {};
    });
  });
}

}  // namespace ddb::streams::detail

namespace ddb::streams {

std::string to_json_line(const record& r, std::string_view shard_id) {
  std::string out;
  json::writer w(out);
  auto text = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    if (!json::valid_utf8(v)) throw ddb::error(fail(errc::invalid_utf8, std::string(k) + " is not valid UTF-8"));
    w.key(std::string_view(k));
    w.string(v);
  };
  auto an_item = [&](const char* k, const ddb::item& it) {
    w.key(std::string_view(k));
    if (auto x = json::write_item(w, it); !x) throw ddb::error(std::move(x).error());
  };
  w.begin_object();
  text("eventName", r.event_name);
  text("eventID", r.event_id);
  if (!shard_id.empty()) text("shardId", std::string(shard_id));
  text("sequenceNumber", r.sequence_number);
  if (r.approximate_creation_date_time != 0) {
    w.key("approximateCreationDateTime");
    detail::write_double(w, r.approximate_creation_date_time);
  }
  w.key("sizeBytes");
  w.integer(static_cast<long long>(r.size_bytes));
  text("streamViewType", r.stream_view_type);
  an_item("keys", r.keys);
  if (r.new_image) an_item("newImage", *r.new_image);
  if (r.old_image) an_item("oldImage", *r.old_image);
  if (!r.user_identity_type.empty()) {
    w.key("userIdentity");
    w.begin_object();
    text("principalId", r.user_identity_principal_id);
    text("type", r.user_identity_type);
    w.end_object();
  }
  w.end_object();
  return out;
}

}  // namespace ddb::streams
