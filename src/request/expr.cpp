#include "ddb/expr.hpp"

#include "ddb/error.hpp"
#include "ddb/limits.hpp"

namespace ddb::expr {

namespace {
[[noreturn]] void refuse(errc code, const std::string& message) { throw ddb::error(fail(code, message)); }
}  // namespace

void no_such_expression(const char* member) {
  refuse(errc::invalid_config, std::string("ddb::expr::apply: this request has no ") + member +
                                   "; use the expression on a request that takes it");
}

placeholders::placeholders(const std::map<std::string, std::string>& taken_names, const ddb::item* taken_values)
    : taken_names_(&taken_names), taken_values_(taken_values) {}

std::string placeholders::name(std::string_view attribute) {
  if (attribute.empty()) refuse(errc::invalid_config, "ddb::expr: an attribute name is empty; name the attribute");
  if (attribute.size() > limits::max_attribute_name_bytes)
    refuse(errc::invalid_config, "ddb::expr: an attribute name is over 64 KB");
  if (auto it = by_name_.find(attribute); it != by_name_.end()) return it->second;
  std::string ph;
  do ph = "#n" + std::to_string(next_name_++);
  while (taken_names_ && taken_names_->count(ph));
  names_.emplace(ph, std::string(attribute));
  by_name_.emplace(std::string(attribute), ph);
  return ph;
}

std::string placeholders::value(ddb::value v) {
  std::string ph;
  do ph = ":v" + std::to_string(next_value_++);
  while (taken_values_ && taken_values_->contains(ph));
  values_.insert_or_assign(ph, std::move(v));
  return ph;
}

// ---------------------------------------------------------------- paths

path::path(std::string name) { segments_.push_back({std::move(name), std::nullopt}); }

path path::operator[](std::string key) const {
  path p = *this;
  p.segments_.push_back({std::move(key), std::nullopt});
  return p;
}

path path::operator[](std::size_t index) const {
  path p = *this;
  p.segments_.push_back({{}, index});
  return p;
}

void path::render(std::string& out, placeholders& p) const {
  bool first = true;
  for (const auto& s : segments_) {
    if (s.index) {
      out += '[';
      out += std::to_string(*s.index);
      out += ']';
    } else {
      if (!first) out += '.';
      out += p.name(s.name);
    }
    first = false;
  }
}

namespace {
renderer of(const path& p) {
  return [p](std::string& out, placeholders& ph) { p.render(out, ph); };
}

condition function(const char* fn, renderer a, std::optional<renderer> b = std::nullopt) {
  return condition([fn, a = std::move(a), b = std::move(b)](std::string& out, placeholders& p) {
    out += fn;
    out += '(';
    a(out, p);
    if (b) {
      out += ", ";
      (*b)(out, p);
    }
    out += ')';
  });
}

renderer literal(ddb::value v) {
  return [v = std::move(v)](std::string& out, placeholders& p) { out += p.value(v); };
}
}  // namespace

condition path::exists() const { return function("attribute_exists", of(*this)); }
condition path::not_exists() const { return function("attribute_not_exists", of(*this)); }
condition path::type_is(std::string t) const { return function("attribute_type", of(*this), literal(ddb::value(std::move(t)))); }
condition path::begins_with(ddb::value prefix) const { return function("begins_with", of(*this), literal(std::move(prefix))); }
condition path::contains(ddb::value element) const { return function("contains", of(*this), literal(std::move(element))); }

condition path::between(const operand& low, const operand& high) const {
  return condition([self = *this, low, high](std::string& out, placeholders& p) {
    self.render(out, p);
    out += " BETWEEN ";
    low.render(out, p);
    out += " AND ";
    high.render(out, p);
  });
}

condition path::in(std::vector<operand> candidates) const {
  if (candidates.empty() || candidates.size() > 100)
    refuse(errc::expression_too_long, "ddb::expr: IN takes 1 to 100 operands, not " +
                                          std::to_string(candidates.size()) + "; split the test with OR");
  return condition([self = *this, cs = std::move(candidates)](std::string& out, placeholders& p) {
    self.render(out, p);
    out += " IN (";
    for (std::size_t i = 0; i < cs.size(); ++i) {
      if (i) out += ", ";
      cs[i].render(out, p);
    }
    out += ')';
  });
}

operand path::size() const {
  return operand([self = *this](std::string& out, placeholders& p) {
    out += "size(";
    self.render(out, p);
    out += ')';
  });
}

// ---------------------------------------------------------------- operands

operand::operand(const path& p) : render_(of(p)) {}
operand::operand(ddb::value v, literal_tag) : render_(literal(std::move(v))) {}

operand if_not_exists(const path& p, const operand& otherwise) {
  return operand([p, otherwise](std::string& out, placeholders& ph) {
    out += "if_not_exists(";
    p.render(out, ph);
    out += ", ";
    otherwise.render(out, ph);
    out += ')';
  });
}

operand list_append(const operand& a, const operand& b) {
  return operand([a, b](std::string& out, placeholders& p) {
    out += "list_append(";
    a.render(out, p);
    out += ", ";
    b.render(out, p);
    out += ')';
  });
}

namespace {
operand arithmetic(const operand& a, const char* op, const operand& b) {
  return operand([a, op, b](std::string& out, placeholders& p) {
    a.render(out, p);
    out += op;
    b.render(out, p);
  });
}
condition compare(const operand& a, const char* op, const operand& b) {
  return condition([a, op, b](std::string& out, placeholders& p) {
    a.render(out, p);
    out += op;
    b.render(out, p);
  });
}
condition logical(const condition& a, const char* op, const condition& b) {
  // Both sides in parentheses: the text says what the C++ said, whatever the precedence.
  return condition([a, op, b](std::string& out, placeholders& p) {
    out += '(';
    a.render(out, p);
    out += ')';
    out += op;
    out += '(';
    b.render(out, p);
    out += ')';
  });
}
}  // namespace

operand operator+(const operand& a, const operand& b) { return arithmetic(a, " + ", b); }
operand operator-(const operand& a, const operand& b) { return arithmetic(a, " - ", b); }

condition operator==(const operand& a, const operand& b) { return compare(a, " = ", b); }
condition operator!=(const operand& a, const operand& b) { return compare(a, " <> ", b); }
condition operator<(const operand& a, const operand& b) { return compare(a, " < ", b); }
condition operator<=(const operand& a, const operand& b) { return compare(a, " <= ", b); }
condition operator>(const operand& a, const operand& b) { return compare(a, " > ", b); }
condition operator>=(const operand& a, const operand& b) { return compare(a, " >= ", b); }
condition operator&&(const condition& a, const condition& b) { return logical(a, " AND ", b); }
condition operator||(const condition& a, const condition& b) { return logical(a, " OR ", b); }
condition operator!(const condition& c) {
  return condition([c](std::string& out, placeholders& p) {
    out += "NOT (";
    c.render(out, p);
    out += ')';
  });
}

// ---------------------------------------------------------------- updates

update& update::set(const path& p, const operand& v) {
  sets_.push_back([p, v](std::string& out, placeholders& ph) {
    p.render(out, ph);
    out += " = ";
    v.render(out, ph);
  });
  return *this;
}

update& update::remove(const path& p) {
  removes_.push_back(of(p));
  return *this;
}

update& update::add(const path& p, const operand& v) {
  adds_.push_back([p, v](std::string& out, placeholders& ph) {
    p.render(out, ph);
    out += ' ';
    v.render(out, ph);
  });
  return *this;
}

update& update::delete_(const path& p, const operand& elements) {
  deletes_.push_back([p, elements](std::string& out, placeholders& ph) {
    p.render(out, ph);
    out += ' ';
    elements.render(out, ph);
  });
  return *this;
}

bool update::empty() const noexcept { return actions() == 0; }
std::size_t update::actions() const noexcept { return sets_.size() + removes_.size() + adds_.size() + deletes_.size(); }

void update::render(std::string& out, placeholders& p) const {
  const std::pair<const char*, const std::vector<renderer>*> clauses[] = {
      {"SET ", &sets_}, {"REMOVE ", &removes_}, {"ADD ", &adds_}, {"DELETE ", &deletes_}};
  for (const auto& [keyword, actions] : clauses) {
    if (actions->empty()) continue;
    if (!out.empty()) out += ' ';
    out += keyword;
    for (std::size_t i = 0; i < actions->size(); ++i) {
      if (i) out += ", ";
      (*actions)[i](out, p);
    }
  }
}

// ---------------------------------------------------------------- rendering

namespace {
std::string checked(std::string s, const char* what) {
  if (s.size() > limits::max_expression_bytes)
    refuse(errc::expression_too_long, std::string("ddb::expr: the ") + what + " is " + std::to_string(s.size()) +
                                          " bytes, over DynamoDB's 4 KB limit; split the work or simplify it");
  return s;
}
}  // namespace

std::string render(const condition& c, placeholders& p) {
  std::string out;
  c.render(out, p);
  return checked(std::move(out), "condition");
}

std::string render(const update& u, placeholders& p) {
  if (u.empty()) refuse(errc::invalid_config, "ddb::expr: the update has no action; add set/remove/add/delete_");
  if (u.actions() > 300)
    refuse(errc::expression_too_long, "ddb::expr: the update has " + std::to_string(u.actions()) +
                                          " actions, over DynamoDB's 300 operators; split it into several updates");
  std::string out;
  u.render(out, p);
  return checked(std::move(out), "update expression");
}

std::string render(const paths& proj, placeholders& p) {
  if (proj.empty()) refuse(errc::invalid_config, "ddb::expr: the projection is empty; name at least one attribute");
  std::string out;
  for (std::size_t i = 0; i < proj.size(); ++i) {
    if (i) out += ", ";
    proj[i].render(out, p);
  }
  return checked(std::move(out), "projection");
}

}  // namespace ddb::expr
