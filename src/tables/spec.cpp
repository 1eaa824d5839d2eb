#include "tables/spec.hpp"

#include <algorithm>
#include <set>

#include "ddb/core/json.hpp"

namespace ddb::tables {

namespace {

struct bad_spec {
  std::string message;
};

[[noreturn]] void refuse(const std::string& field, const std::string& why) {
  throw bad_spec{"the spec's " + field + " " + why};
}

void only_fields(const item& m, const std::string& where, std::initializer_list<std::string_view> known) {
  for (const auto& [name, v] : m)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      refuse(where + "\"" + name + "\"", "is not a field here (known: " + list + ")");
    }
}

const std::string& text(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  const std::string* s = v ? v->get_if<std::string>() : nullptr;
  if (!s || s->empty()) refuse(where + field, "must be a non-empty string");
  return *s;
}

std::optional<std::string> optional_text(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  if (!v || v->is_null()) return std::nullopt;
  return text(m, field, where);
}

bool flag(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  if (!v) return false;
  const bool* b = v->get_if<bool>();
  if (!b) refuse(where + field, "must be true or false");
  return *b;
}

std::optional<std::int64_t> units(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  if (!v) return std::nullopt;
  const number* n = v->get_if<number>();
  auto i = n ? n->to<std::int64_t>() : result<std::int64_t>(fail(errc::invalid_number, "not a number"));
  if (!i || *i < 1) refuse(where + field, "must be a whole number of capacity units, at least 1");
  return *i;
}

template <class E>
std::string one_of(const std::string& s, const std::string& field) {
  E e{};
  if (!parse_enum(s, e)) refuse(field, "'" + s + "' is not a valid value");
  return s;
}

key_attribute key_of(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  const item* k = v ? v->get_if<item>() : nullptr;
  if (!k) refuse(where + field, "must be an object like {\"name\": \"pk\", \"type\": \"S\"}");
  only_fields(*k, where + field + ".", {"name", "type"});
  key_attribute out{text(*k, "name", where + field + "."), text(*k, "type", where + field + ".")};
  if (out.type != "S" && out.type != "N" && out.type != "B") refuse(where + field + ".type", "must be S, N or B");
  return out;
}

std::optional<key_attribute> optional_key(const item& m, const std::string& field, const std::string& where) {
  const value* v = m.find(field);
  if (!v || v->is_null()) return std::nullopt;
  return key_of(m, field, where);
}

index_spec index_of(const item& m, const std::string& where) {
  only_fields(m, where, {"name", "partition_key", "sort_key", "projection", "read_capacity", "write_capacity"});
  index_spec out;
  out.name = text(m, "name", where);
  out.partition = key_of(m, "partition_key", where);
  out.sort = optional_key(m, "sort_key", where);
  if (const value* p = m.find("projection")) {
    if (const std::string* s = p->get_if<std::string>()) {
      if (*s != "ALL" && *s != "KEYS_ONLY") refuse(where + "projection", "must be \"ALL\", \"KEYS_ONLY\" or a list of attributes");
      out.projection = *s;
    } else if (const list* l = p->get_if<list>()) {
      out.projection = "INCLUDE";
      for (const value& a : *l) {
        const std::string* s = a.get_if<std::string>();
        if (!s || s->empty()) refuse(where + "projection", "lists attribute names (strings)");
        out.non_key.push_back(*s);
      }
      if (out.non_key.empty()) refuse(where + "projection", "lists at least one attribute (or say \"KEYS_ONLY\")");
    } else {
      refuse(where + "projection", "must be \"ALL\", \"KEYS_ONLY\" or a list of attributes");
    }
  }
  out.read_capacity = units(m, "read_capacity", where);
  out.write_capacity = units(m, "write_capacity", where);
  return out;
}

std::string or_none(const std::optional<std::string>& s) { return s ? *s : "(none)"; }
std::string or_none(const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : "(none)"; }
std::string yes_no(bool b) { return b ? "on" : "off"; }
std::string key_text(const std::optional<key_attribute>& k) { return k ? k->name + " (" + k->type + ")" : "(none)"; }

std::string index_text(const index_spec& i) {
  std::string out = "keys " + key_text(i.partition) + (i.sort ? ", " + key_text(i.sort) : "") + ", projection " + i.projection;
  for (const std::string& a : i.non_key) out += " " + a;
  if (i.read_capacity || i.write_capacity) out += ", capacity " + or_none(i.read_capacity) + "/" + or_none(i.write_capacity);
  return out;
}

std::vector<attribute_definition> definitions(const table_spec& s) {
  std::vector<attribute_definition> out;
  auto add = [&](const key_attribute& k) {
    for (const attribute_definition& d : out)
      if (d.attribute_name == k.name) return;
    out.push_back({k.name, open_enum<scalar_attribute_type>::from_string(k.type)});
  };
  add(s.partition);
  if (s.sort) add(*s.sort);
  for (const index_spec& i : s.indexes) {
    add(i.partition);
    if (i.sort) add(*i.sort);
  }
  return out;
}

std::vector<key_schema_element> schema(const key_attribute& p, const std::optional<key_attribute>& s) {
  std::vector<key_schema_element> out{{p.name, key_type::hash}};
  if (s) out.push_back({s->name, key_type::range});
  return out;
}

projection projection_of(const index_spec& i) {
  projection p;
  p.projection_type = open_enum<projection_type>::from_string(i.projection);
  p.non_key_attributes = i.non_key;
  return p;
}

std::optional<provisioned_throughput> throughput(const std::optional<std::int64_t>& r, const std::optional<std::int64_t>& w) {
  if (!r && !w) return std::nullopt;
  provisioned_throughput t;
  t.read_capacity_units = r.value_or(1);
  t.write_capacity_units = w.value_or(1);
  return t;
}

sse_specification sse_of(const table_spec& s) {
  sse_specification e;
  e.enabled = s.sse_kms;
  if (s.sse_kms) {
    e.sse_type = sse_type::kms;
    e.kms_master_key_id = s.kms_key_id;
  }
  return e;
}

stream_specification stream_of(const table_spec& s) {
  stream_specification st;
  st.stream_enabled = s.stream_view_type.has_value();
  if (s.stream_view_type) st.stream_view_type = open_enum<stream_view_type>::from_string(*s.stream_view_type);
  return st;
}

// DescribeTable names the key by its ARN; a spec naming it by alias or id
// matches any KMS key (only an ARN is compared).
bool same_encryption(const table_spec& want, const table_spec& have) {
  if (want.sse_kms != have.sse_kms) return false;
  if (!want.sse_kms || !want.kms_key_id || want.kms_key_id->rfind("arn:", 0) != 0) return true;
  return have.kms_key_id == want.kms_key_id;
}

const index_spec* find_index(const std::vector<index_spec>& list, const std::string& name) {
  for (const index_spec& i : list)
    if (i.name == name) return &i;
  return nullptr;
}

}  // namespace

result<table_spec> parse_spec(std::string_view json) {
  auto parsed = ddb::json::parse_plain_item(json);
  if (!parsed) return fail(errc::invalid_config, "the spec is not a JSON object: " + parsed.error().message);
  const item& m = *parsed;
  try {
    only_fields(m, "", {"table_name", "partition_key", "sort_key", "billing_mode", "read_capacity", "write_capacity",
                        "global_secondary_indexes", "ttl_attribute", "point_in_time_recovery", "server_side_encryption",
                        "stream_view_type", "table_class", "deletion_protection", "tags"});
    table_spec s;
    s.table_name = optional_text(m, "table_name", "").value_or("");
    s.partition = key_of(m, "partition_key", "");
    s.sort = optional_key(m, "sort_key", "");
    if (auto b = optional_text(m, "billing_mode", "")) s.billing_mode = one_of<billing_mode>(*b, "billing_mode");
    s.read_capacity = units(m, "read_capacity", "");
    s.write_capacity = units(m, "write_capacity", "");
    const bool provisioned = s.billing_mode == "PROVISIONED";
    if (provisioned && (!s.read_capacity || !s.write_capacity))
      refuse("billing_mode", "PROVISIONED needs read_capacity and write_capacity");
    if (!provisioned && (s.read_capacity || s.write_capacity))
      refuse("read_capacity/write_capacity", "go with billing_mode PROVISIONED (on demand has no capacity to set)");
    if (const value* g = m.find("global_secondary_indexes")) {
      const list* l = g->get_if<list>();
      if (!l) refuse("global_secondary_indexes", "must be a list of index objects");
      std::set<std::string> names;
      for (std::size_t i = 0; i < l->size(); ++i) {
        const item* one = (*l)[i].get_if<item>();
        const std::string where = "global_secondary_indexes[" + std::to_string(i) + "].";
        if (!one) refuse(where, "must be an object");
        index_spec x = index_of(*one, where);
        if (!names.insert(x.name).second) refuse(where + "name", "'" + x.name + "' is used twice");
        if (provisioned != (x.read_capacity && x.write_capacity))
          refuse(where + "read_capacity/write_capacity",
                 provisioned ? "are needed on a PROVISIONED table" : "go with billing_mode PROVISIONED");
        s.indexes.push_back(std::move(x));
      }
    }
    s.ttl_attribute = optional_text(m, "ttl_attribute", "");
    s.point_in_time_recovery = flag(m, "point_in_time_recovery", "");
    if (const value* e = m.find("server_side_encryption")) {
      const item* sse = e->get_if<item>();
      if (!sse) refuse("server_side_encryption", "must be an object like {\"enabled\": true, \"kms_key_id\": \"alias/app\"}");
      only_fields(*sse, "server_side_encryption.", {"enabled", "kms_key_id"});
      s.sse_kms = flag(*sse, "enabled", "server_side_encryption.");
      s.kms_key_id = optional_text(*sse, "kms_key_id", "server_side_encryption.");
      if (s.kms_key_id && !s.sse_kms) refuse("server_side_encryption.kms_key_id", "needs \"enabled\": true");
    }
    if (auto v = optional_text(m, "stream_view_type", "")) s.stream_view_type = one_of<stream_view_type>(*v, "stream_view_type");
    if (auto c = optional_text(m, "table_class", "")) s.table_class = one_of<table_class>(*c, "table_class");
    s.deletion_protection = flag(m, "deletion_protection", "");
    if (const value* t = m.find("tags")) {
      const item* tags = t->get_if<item>();
      if (!tags) refuse("tags", "must be an object of strings");
      for (const auto& [k, v] : *tags) {
        const std::string* sv = v.get_if<std::string>();
        if (!sv) refuse("tags." + k, "must be a string");
        s.tags.emplace(k, *sv);
      }
    }
    return s;
  } catch (const bad_spec& b) {
    return fail(errc::invalid_config, b.message);
  }
}

table_spec spec_of(const observed& o) {
  table_spec s;
  const table_description& t = o.table;
  s.table_name = t.table_name.value_or("");
  auto type_of = [&](const std::string& name) {
    for (const attribute_definition& d : t.attribute_definitions)
      if (d.attribute_name == name) return std::string(d.attribute_type.str());
    return std::string();
  };
  auto keys = [&](const std::vector<key_schema_element>& ks, key_attribute& p, std::optional<key_attribute>& r) {
    for (const key_schema_element& k : ks) {
      if (k.key_type == key_type::hash) p = {k.attribute_name, type_of(k.attribute_name)};
      else r = key_attribute{k.attribute_name, type_of(k.attribute_name)};
    }
  };
  keys(t.key_schema, s.partition, s.sort);
  const bool on_demand = t.billing_mode_summary && t.billing_mode_summary->billing_mode &&
                         *t.billing_mode_summary->billing_mode == billing_mode::pay_per_request;
  s.billing_mode = on_demand ? "PAY_PER_REQUEST" : "PROVISIONED";
  if (!on_demand && t.provisioned_throughput) {
    s.read_capacity = t.provisioned_throughput->read_capacity_units;
    s.write_capacity = t.provisioned_throughput->write_capacity_units;
  }
  for (const global_secondary_index_description& g : t.global_secondary_indexes) {
    index_spec i;
    i.name = g.index_name.value_or("");
    keys(g.key_schema, i.partition, i.sort);
    if (g.projection) {
      i.projection = g.projection->projection_type ? std::string(g.projection->projection_type->str()) : "ALL";
      i.non_key = g.projection->non_key_attributes;
    }
    if (!on_demand && g.provisioned_throughput) {
      i.read_capacity = g.provisioned_throughput->read_capacity_units;
      i.write_capacity = g.provisioned_throughput->write_capacity_units;
    }
    s.indexes.push_back(std::move(i));
  }
  if (o.ttl && o.ttl->time_to_live_status &&
      (*o.ttl->time_to_live_status == time_to_live_status::enabled ||
       *o.ttl->time_to_live_status == time_to_live_status::enabling))
    s.ttl_attribute = o.ttl->attribute_name;
  s.point_in_time_recovery = o.backups && o.backups->point_in_time_recovery_description &&
                             o.backups->point_in_time_recovery_description->point_in_time_recovery_status &&
                             *o.backups->point_in_time_recovery_description->point_in_time_recovery_status ==
                                 point_in_time_recovery_status::enabled;
  if (t.sse_description && t.sse_description->sse_type && *t.sse_description->sse_type == sse_type::kms &&
      (!t.sse_description->status || *t.sse_description->status == sse_status::enabled ||
       *t.sse_description->status == sse_status::enabling || *t.sse_description->status == sse_status::updating)) {
    s.sse_kms = true;
    s.kms_key_id = t.sse_description->kms_master_key_arn;
  }
  if (t.stream_specification && t.stream_specification->stream_enabled && t.stream_specification->stream_view_type)
    s.stream_view_type = std::string(t.stream_specification->stream_view_type->str());
  if (t.table_class_summary && t.table_class_summary->table_class)
    s.table_class = std::string(t.table_class_summary->table_class->str());
  s.deletion_protection = t.deletion_protection_enabled.value_or(false);
  for (const tag& g : o.tags) s.tags.emplace(g.key, g.value);
  return s;
}

std::vector<difference> differences(const table_spec& want, const std::optional<table_spec>& have) {
  std::vector<difference> out;
  if (!have) {
    out.push_back({"table", "(absent)", "created"});
    return out;
  }
  auto diff = [&](const std::string& field, const std::string& h, const std::string& w) {
    if (h != w) out.push_back({field, h, w});
  };
  diff("partition_key", key_text(have->partition), key_text(want.partition));
  diff("sort_key", key_text(have->sort), key_text(want.sort));
  diff("billing_mode", have->billing_mode, want.billing_mode);
  diff("read_capacity", or_none(have->read_capacity), or_none(want.read_capacity));
  diff("write_capacity", or_none(have->write_capacity), or_none(want.write_capacity));
  for (const index_spec& i : want.indexes) {
    const index_spec* h = find_index(have->indexes, i.name);
    diff("global_secondary_indexes." + i.name, h ? index_text(*h) : "(absent)", index_text(i));
  }
  for (const index_spec& h : have->indexes)
    if (!find_index(want.indexes, h.name)) diff("global_secondary_indexes." + h.name, index_text(h), "(absent)");
  diff("ttl_attribute", or_none(have->ttl_attribute), or_none(want.ttl_attribute));
  diff("point_in_time_recovery", yes_no(have->point_in_time_recovery), yes_no(want.point_in_time_recovery));
  if (!same_encryption(want, *have))
    out.push_back({"server_side_encryption", have->sse_kms ? "KMS " + or_none(have->kms_key_id) : "DynamoDB's key",
                   want.sse_kms ? "KMS " + or_none(want.kms_key_id) : "DynamoDB's key"});
  diff("stream_view_type", or_none(have->stream_view_type), or_none(want.stream_view_type));
  diff("table_class", have->table_class, want.table_class);
  diff("deletion_protection", yes_no(have->deletion_protection), yes_no(want.deletion_protection));
  for (const auto& [k, v] : want.tags) {
    auto it = have->tags.find(k);
    diff("tags." + k, it == have->tags.end() ? "(absent)" : it->second, v);
  }
  for (const auto& [k, v] : have->tags)
    if (!want.tags.count(k)) diff("tags." + k, v, "(absent)");
  return out;
}

result<std::vector<step>> plan(const table_spec& want, const std::optional<table_spec>& have, const std::string& arn) {
  std::vector<step> out;
  const std::string& name = want.table_name;
  if (name.empty()) return fail(errc::invalid_config, "the spec names no table: add \"table_name\" or give --table-name");
  const bool provisioned = want.billing_mode == "PROVISIONED";
  if (!have) {
    step s;
    create_table_request& c = s.create.emplace();
    c.table_name = name;
    c.attribute_definitions = definitions(want);
    c.key_schema = schema(want.partition, want.sort);
    c.billing_mode = open_enum<billing_mode>::from_string(want.billing_mode);
    if (provisioned) c.provisioned_throughput = throughput(want.read_capacity, want.write_capacity);
    for (const index_spec& i : want.indexes) {
      global_secondary_index g;
      g.index_name = i.name;
      g.key_schema = schema(i.partition, i.sort);
      g.projection = projection_of(i);
      if (provisioned) g.provisioned_throughput = throughput(i.read_capacity, i.write_capacity);
      c.global_secondary_indexes.push_back(std::move(g));
    }
    if (want.stream_view_type) c.stream_specification = stream_of(want);
    if (want.sse_kms) c.sse_specification = sse_of(want);
    for (const auto& [k, v] : want.tags) c.tags.push_back({k, v});
    c.table_class = open_enum<table_class>::from_string(want.table_class);
    c.deletion_protection_enabled = want.deletion_protection;
    s.what = "create table " + name;
    out.push_back(std::move(s));
  } else {
    if (have->partition != want.partition || have->sort != want.sort)
      return fail(errc::invalid_config, "table " + name + " has keys " + key_text(have->partition) + ", " +
                                            key_text(have->sort) + "; the spec says " + key_text(want.partition) + ", " +
                                            key_text(want.sort) + ": DynamoDB cannot change a table's keys (create a "
                                            "new table and copy the items)");
    auto update = [&](std::string what) -> update_table_request& {
      step& s = out.emplace_back();
      s.what = std::move(what);
      update_table_request& u = s.update.emplace();
      u.table_name = name;
      return u;
    };
    // Indexes that go come first (their capacity no longer counts), then the table's own settings.
    for (const index_spec& h : have->indexes) {
      const index_spec* w = find_index(want.indexes, h.name);
      if (w && (w->partition != h.partition || w->sort != h.sort || w->projection != h.projection || w->non_key != h.non_key))
        return fail(errc::invalid_config, "index " + h.name + " of " + name + " has " + index_text(h) + "; the spec says " +
                                              index_text(*w) + ": an index's keys and projection cannot change (give "
                                              "the new one another name; the old one is then deleted)");
      if (!w) update("delete index " + h.name).global_secondary_index_updates.push_back({.update = {}, .create = {}, .delete_ = delete_global_secondary_index_action{h.name}});
    }
    if (have->billing_mode != want.billing_mode ||
        (provisioned && (have->read_capacity != want.read_capacity || have->write_capacity != want.write_capacity))) {
      update_table_request& u = update("billing " + want.billing_mode);
      u.billing_mode = open_enum<billing_mode>::from_string(want.billing_mode);
      if (provisioned) {
        u.provisioned_throughput = throughput(want.read_capacity, want.write_capacity);
        for (const index_spec& w : want.indexes)  // switching to provisioned: every kept index needs capacity
          if (const index_spec* h = find_index(have->indexes, w.name))
            if (h->read_capacity != w.read_capacity || h->write_capacity != w.write_capacity)
              u.global_secondary_index_updates.push_back(
                  {.update = update_global_secondary_index_action{w.name, throughput(w.read_capacity, w.write_capacity)},
                   .create = {}, .delete_ = {}});
      }
    } else if (provisioned) {
      for (const index_spec& w : want.indexes)
        if (const index_spec* h = find_index(have->indexes, w.name))
          if (h->read_capacity != w.read_capacity || h->write_capacity != w.write_capacity)
            update("capacity of index " + w.name).global_secondary_index_updates.push_back(
                {.update = update_global_secondary_index_action{w.name, throughput(w.read_capacity, w.write_capacity)},
                 .create = {}, .delete_ = {}});
    }
    for (const index_spec& w : want.indexes)
      if (!find_index(have->indexes, w.name)) {
        update_table_request& u = update("add index " + w.name);
        u.attribute_definitions = definitions(want);
        create_global_secondary_index_action g;
        g.index_name = w.name;
        g.key_schema = schema(w.partition, w.sort);
        g.projection = projection_of(w);
        if (provisioned) g.provisioned_throughput = throughput(w.read_capacity, w.write_capacity);
        u.global_secondary_index_updates.push_back({.update = {}, .create = std::move(g), .delete_ = {}});
      }
    if (have->stream_view_type != want.stream_view_type) {
      if (have->stream_view_type && want.stream_view_type) {  // a stream's view type changes by turning it off first
        stream_specification off;
        off.stream_enabled = false;
        update("stream off").stream_specification = off;
      }
      update(want.stream_view_type ? "stream " + *want.stream_view_type : "stream off").stream_specification = stream_of(want);
    }
    if (!same_encryption(want, *have))
      update(want.sse_kms ? "encryption with KMS" : "encryption with DynamoDB's key").sse_specification = sse_of(want);
    if (have->table_class != want.table_class)
      update("table class " + want.table_class).table_class = open_enum<table_class>::from_string(want.table_class);
    if (have->deletion_protection != want.deletion_protection)
      update(std::string("deletion protection ") + yes_no(want.deletion_protection)).deletion_protection_enabled =
          want.deletion_protection;
  }
  const std::optional<std::string> had_ttl = have ? have->ttl_attribute : std::nullopt;
  if (had_ttl != want.ttl_attribute) {
    if (had_ttl) {  // TTL moves to another attribute by turning it off first
      step& s = out.emplace_back();
      s.what = "time to live off (" + *had_ttl + ")";
      s.ttl = update_time_to_live_request{name, time_to_live_specification{false, *had_ttl}};
    }
    if (want.ttl_attribute) {
      step& s = out.emplace_back();
      s.what = "time to live on " + *want.ttl_attribute;
      s.ttl = update_time_to_live_request{name, time_to_live_specification{true, *want.ttl_attribute}};
    }
  }
  if ((have ? have->point_in_time_recovery : false) != want.point_in_time_recovery) {
    step& s = out.emplace_back();
    s.what = std::string("point-in-time recovery ") + yes_no(want.point_in_time_recovery);
    s.backups = update_continuous_backups_request{name, point_in_time_recovery_specification{want.point_in_time_recovery}};
  }
  if (have) {
    tag_resource_request add{arn, {}};
    untag_resource_request drop{arn, {}};
    for (const auto& [k, v] : want.tags) {
      auto it = have->tags.find(k);
      if (it == have->tags.end() || it->second != v) add.tags.push_back({k, v});
    }
    for (const auto& [k, v] : have->tags)
      if (!want.tags.count(k)) drop.tag_keys.push_back(k);
    if (!drop.tag_keys.empty()) out.push_back(step{.untag = std::move(drop), .what = "remove tags"});
    if (!add.tags.empty()) out.push_back(step{.tag = std::move(add), .what = "tags"});
  }
  return out;
}

}  // namespace ddb::tables
