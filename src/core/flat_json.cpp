#include "core/flat_json.hpp"

#include "core/percent.hpp"
#include "core/utf8.hpp"
#include "ddb/core/secret.hpp"

namespace ddb::detail {
namespace {

class flat_parser {
 public:
  explicit flat_parser(std::string_view s) : s_(s) {}

  result<std::vector<json_member>> run() {
    std::vector<json_member> out;
    ws();
    if (!eat('{')) return error("expected a JSON object");
    ws();
    if (eat('}')) return finish(std::move(out));
    for (;;) {
      ws();
      json_member m;
      if (!string(m.name)) return error("expected a member name in quotes");
      ws();
      if (!eat(':')) return error("expected ':' after a member name");
      ws();
      if (peek() == '"') {
        if (!string(m.value)) return error("an unterminated or invalid string");
        m.is_string = true;
      } else {
        const std::size_t start = pos_;
        if (!skip_value(0)) return error("an invalid value");
        m.value.assign(s_.substr(start, pos_ - start));
      }
      out.push_back(std::move(m));
      ws();
      if (eat(',')) continue;
      if (eat('}')) return finish(std::move(out));
      return error("expected ',' or '}'");
    }
  }

 private:
  result<std::vector<json_member>> finish(std::vector<json_member> out) {
    ws();
    if (pos_ != s_.size()) return error("text after the JSON object");
    return out;
  }
  failure error(const std::string& what) const {
    return fail(errc::invalid_json, what + " at byte " + std::to_string(pos_));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool hex4(unsigned& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = ddb::detail::hex_value(s_[pos_++]);
      if (h < 0) return false;
      out = out * 16 + static_cast<unsigned>(h);
    }
    return true;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return false;
      switch (s_[pos_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          utf8::append(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool number() {
    const std::size_t start = pos_;
    eat('-');
    if (!eat('0')) {
      if (peek() < '1' || peek() > '9') return false;
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (eat('.')) {
      if (peek() < '0' || peek() > '9') return false;
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (peek() < '0' || peek() > '9') return false;
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    return pos_ > start;
  }
  bool skip_value(int depth) {
    if (depth > 32) return false;
    ws();
    switch (peek()) {
      case '"': {
        std::string ignored;
        return string(ignored);
      }
      case '{':
      case '[': {
        const char close = peek() == '{' ? '}' : ']';
        const bool object = close == '}';
        ++pos_;
        ws();
        if (eat(close)) return true;
        for (;;) {
          ws();
          if (object) {
            std::string ignored;
            if (!string(ignored)) return false;
            ws();
            if (!eat(':')) return false;
          }
          if (!skip_value(depth + 1)) return false;
          ws();
          if (eat(',')) continue;
          return eat(close);
        }
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

json_member::~json_member() { secure_wipe(value.data(), value.capacity()); }

result<std::vector<json_member>> parse_flat_object(std::string_view json) { return flat_parser(json).run(); }

}  // namespace ddb::detail
