#include "ddb/error.hpp"

namespace ddb {
namespace {

class client_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ddb.client"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_json: return "malformed JSON";
      case errc::unexpected_json: return "JSON of an unexpected shape";
      case errc::invalid_attribute: return "invalid attribute value";
      case errc::wrong_value_type: return "attribute value of another type";
      case errc::invalid_number: return "invalid number";
      case errc::number_out_of_range: return "number out of range";
      case errc::number_too_precise: return "number has more than 38 significant digits";
      case errc::invalid_base64: return "invalid base64";
      case errc::invalid_utf8: return "invalid UTF-8";
      case errc::empty_set: return "empty set";
      case errc::duplicate_in_set: return "duplicate element in set";
      case errc::nesting_too_deep: return "nesting too deep";
      case errc::invalid_credentials: return "invalid credentials";
      case errc::invalid_header: return "invalid header";
    }
    return "unknown ddb client error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const client_category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), client_category()}; }

}  // namespace ddb
