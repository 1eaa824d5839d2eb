// The failure a caught exception stands for (ddb/detail/run_op.hpp).
#include "ddb/detail/run_op.hpp"

namespace ddb::detail {

boost::system::error_code failure_of(const std::exception_ptr& e, diagnostics& diag, errc fallback) {
  try {
    std::rethrow_exception(e);
  } catch (const ddb::error& x) {
    if (const diagnostics* d = x.diag()) diag = *d;
    if (diag.message.empty()) diag.message = x.what();
    // The client's own tokens report cancellation and socket errors in
    // Boost's categories (asio::error::operation_aborted): the same here.
    const std::error_code code = x.code();
    if (code.category() == std::system_category())
      return boost::system::error_code(code.value(), boost::system::system_category());
    if (code.category() == std::generic_category())
      return boost::system::error_code(code.value(), boost::system::generic_category());
    return code;
  } catch (const boost::system::system_error& x) {
    diag.message = x.what();
    return x.code();
  } catch (const std::system_error& x) {
    diag.message = x.what();
    return x.code();
  } catch (const std::exception& x) {
    diag.message = std::string(make_error_code(fallback).message()) + ": " + x.what();
  } catch (...) {
    diag.message = std::string(make_error_code(fallback).message()) + ": something that is not a std::exception";
  }
  return fallback;
}

}  // namespace ddb::detail
