#pragma once
// An exchange is one attempt of one operation: its signed request bytes and,
// later, its response or the error that ended it. It moves
//     waiting (the pool's queue) -> written (a connection's pipeline) -> done
// Plain data: no sockets, no executor (core/pool_state.hpp decides where it
// goes; transport/transport.cpp carries the bytes).
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/http_response.hpp"

namespace ddb::detail {

struct exchange;
using exchange_ptr = std::shared_ptr<exchange>;

// Told, by a posted call (never from inside the transport's own loops), that
// its exchange is done; the transport lets go of it first, so the owner may
// reuse it.
struct exchange_owner {
  virtual void exchange_done(exchange_ptr e) = 0;

 protected:
  ~exchange_owner() = default;
};

struct exchange {
  enum class state : std::uint8_t { waiting, written, done };

  std::string request;  // signed HTTP/1.1 bytes
  state st = state::waiting;
  bool abandoned = false;
  bool maybe_applied = false;  // written, with no definitive answer
  boost::system::error_code ec;
  std::string error_detail;  // e.g. the OS or TLS message behind connect_failed
  http_response response;
  std::shared_ptr<exchange_owner> owner;  // released once told, or when abandoned
  std::uint64_t connection = 0;           // the pipeline it was written to (pipeline::id), once written

  // Ready for another attempt, keeping the capacity of the request and body
  // buffers (unless a large response made them large).
  void reset() noexcept;
};

}  // namespace ddb::detail
