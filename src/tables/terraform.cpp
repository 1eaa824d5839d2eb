// A table spec as Terraform: one `aws_dynamodb_table` resource in the layout
// `terraform fmt` writes (two-space indents, the `=` of consecutive
// arguments aligned, one argument per line, blocks apart by a blank line).
#include <cctype>

#include "tables/spec.hpp"

namespace ddb::tables {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    // "${" and "%{" would start a template: HCL's escape doubles the sign.
    if ((c == '$' || c == '%') && i + 1 < s.size() && s[i + 1] == '{') out += c;
    out += c;
  }
  return out + "\"";
}

bool identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// Lines of one block body; arguments in a run are aligned when written.
class body {
 public:
  explicit body(int indent) : indent_(indent) {}
  body& arg(const std::string& name, const std::string& value) {
    run_.emplace_back(name, value);
    return *this;
  }
  body& block(const std::string& header, const body& inner) {
    flush();
    if (!out_.empty()) out_ += "\n";
    out_ += pad() + header + " {\n" + inner.text() + pad() + "}\n";
    after_block_ = true;
    return *this;
  }
  std::string text() const {
    body copy = *this;
    copy.flush();
    return copy.out_;
  }

 private:
  std::string pad() const { return std::string(static_cast<std::size_t>(indent_), ' '); }
  void flush() {
    if (run_.empty()) return;
    if (after_block_) out_ += "\n";
    std::size_t width = 0;
    for (const auto& [n, v] : run_) width = std::max(width, n.size());
    for (const auto& [n, v] : run_) out_ += pad() + n + std::string(width - n.size(), ' ') + " = " + v + "\n";
    run_.clear();
    after_block_ = false;
  }
  int indent_;
  std::string out_;
  std::vector<std::pair<std::string, std::string>> run_;
  bool after_block_ = false;
};

std::string map_of(const std::map<std::string, std::string>& m, int indent) {
  if (m.empty()) return "{}";
  body b(indent + 2);
  for (const auto& [k, v] : m) b.arg(identifier(k) ? k : quoted(k), quoted(v));
  return "{\n" + b.text() + std::string(static_cast<std::size_t>(indent), ' ') + "}";
}

}  // namespace

std::string terraform(const table_spec& s, const std::string& resource_name, const module_inputs* module) {
  const bool provisioned = s.billing_mode == "PROVISIONED";
  body r(2);
  r.arg("name", module ? "var." + module->table_name : quoted(s.table_name));
  r.arg("billing_mode", quoted(s.billing_mode));
  if (provisioned) {
    r.arg("read_capacity", std::to_string(*s.read_capacity));
    r.arg("write_capacity", std::to_string(*s.write_capacity));
  }
  r.arg("hash_key", quoted(s.partition.name));
  if (s.sort) r.arg("range_key", quoted(s.sort->name));
  if (module) {
    const std::string view = s.stream_view_type.value_or("NEW_AND_OLD_IMAGES");
    r.arg("stream_enabled", "var." + module->enable_stream);
    r.arg("stream_view_type", "var." + module->enable_stream + " ? " + quoted(view) + " : null");
  } else if (s.stream_view_type) {
    r.arg("stream_enabled", "true");
    r.arg("stream_view_type", quoted(*s.stream_view_type));
  }
  r.arg("table_class", quoted(s.table_class));
  r.arg("deletion_protection_enabled", s.deletion_protection ? "true" : "false");

  std::vector<key_attribute> attributes;
  auto add = [&](const key_attribute& k) {
    for (const key_attribute& a : attributes)
      if (a.name == k.name) return;
    attributes.push_back(k);
  };
  add(s.partition);
  if (s.sort) add(*s.sort);
  for (const index_spec& i : s.indexes) {
    add(i.partition);
    if (i.sort) add(*i.sort);
  }
  for (const key_attribute& a : attributes) r.block("attribute", body(4).arg("name", quoted(a.name)).arg("type", quoted(a.type)));
  for (const index_spec& i : s.indexes) {
    body g(4);
    g.arg("name", quoted(i.name)).arg("hash_key", quoted(i.partition.name));
    if (i.sort) g.arg("range_key", quoted(i.sort->name));
    g.arg("projection_type", quoted(i.projection));
    if (!i.non_key.empty()) {
      std::string list = "[";
      for (const std::string& a : i.non_key) list += (list.size() > 1 ? ", " : "") + quoted(a);
      g.arg("non_key_attributes", list + "]");
    }
    if (provisioned) {
      g.arg("read_capacity", std::to_string(i.read_capacity.value_or(1)));
      g.arg("write_capacity", std::to_string(i.write_capacity.value_or(1)));
    }
    r.block("global_secondary_index", g);
  }
  if (s.ttl_attribute) r.block("ttl", body(4).arg("attribute_name", quoted(*s.ttl_attribute)).arg("enabled", "true"));
  r.block("point_in_time_recovery", body(4).arg("enabled", s.point_in_time_recovery ? "true" : "false"));
  {
    body e(4);
    e.arg("enabled", s.sse_kms ? "true" : "false");
    if (s.sse_kms && s.kms_key_id) e.arg("kms_key_arn", quoted(*s.kms_key_id));
    r.block("server_side_encryption", e);
  }
  if (module) {
    body t(2);
    t.arg("tags", "var." + module->tags);
    return "resource \"aws_dynamodb_table\" " + quoted(resource_name) + " {\n" + r.text() + "\n" + t.text() + "}\n";
  }
  if (!s.tags.empty()) {
    body t(2);
    t.arg("tags", map_of(s.tags, 2));
    return "resource \"aws_dynamodb_table\" " + quoted(resource_name) + " {\n" + r.text() + "\n" + t.text() + "}\n";
  }
  return "resource \"aws_dynamodb_table\" " + quoted(resource_name) + " {\n" + r.text() + "}\n";
}

}  // namespace ddb::tables
