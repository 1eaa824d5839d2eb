#pragma once
// What the soak's client and its fault server agree on: the fault an
// operation's key asks for, and when throttling storms blow. Both sides derive
// everything from these, so the client knows exactly which outcomes are
// right for each operation.
#include <chrono>
#include <cstdint>
#include <string_view>

namespace soak {

// The fault the server plays for every attempt of an operation, chosen by
// the client and written at the front of the key ("reset/17/4").
enum class mode : std::uint8_t {
  ok,       // 200 with the item, its key echoed: the client checks the echo
  flaky,    // each attempt at random: ok, reset, truncated, 500, 503
  reset,    // the connection reset (RST) instead of an answer
  trunc,    // a head promising more body than is sent, then the server closes
  e500,     // InternalServerError
  e503,     // ServiceUnavailable
  stall,    // no answer at all, until the client gives up on the attempt
  badjson,  // 200 with a body that is not JSON ({"Item":n})
};
inline constexpr mode all_modes[] = {mode::ok,   mode::flaky, mode::reset, mode::trunc,
                                     mode::e500, mode::e503,  mode::stall, mode::badjson};

inline constexpr std::string_view name(mode m) {
  constexpr std::string_view names[] = {"ok", "flaky", "reset", "trunc", "e500", "e503", "stall", "badjson"};
  return names[static_cast<int>(m)];
}

inline bool parse_mode(std::string_view s, mode& out) {
  for (mode m : all_modes)
    if (name(m) == s) {
      out = m;
      return true;
    }
  return false;
}

// The mode of the n-th operation: a fixed mix per 1,000 (an operation of
// every mode in every thousand, so a short run meets them all).
inline mode mode_of(std::uint64_t n) {
  const std::uint64_t r = (n * 7919) % 1000;  // 7919 is prime: every residue once per thousand
  if (r < 870) return mode::ok;
  if (r < 930) return mode::flaky;
  if (r < 945) return mode::reset;
  if (r < 960) return mode::trunc;
  if (r < 975) return mode::e500;
  if (r < 990) return mode::e503;
  if (r < 992) return mode::stall;
  return mode::badjson;
}

// Storms: every `period`, for its first `length`, the server throttles every
// request. Windows sit on the wall clock (both processes read the same one).
struct storms {
  std::chrono::milliseconds period{60000};
  std::chrono::milliseconds length{0};  // 0: no storms

  static std::int64_t ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  bool blowing(std::chrono::system_clock::time_point t) const {
    return length.count() > 0 && ms(t) % period.count() < length.count();
  }
  // Whether a storm blew at any time in [from, to], widened by `slack` on
  // both sides (the server reads the clock a moment after the client).
  bool overlaps(std::chrono::system_clock::time_point from, std::chrono::system_clock::time_point to,
                std::chrono::milliseconds slack) const {
    if (length.count() <= 0) return false;
    const std::int64_t a = ms(from) - slack.count(), b = ms(to) + slack.count(), p = period.count();
    for (std::int64_t k = a / p - 1; k * p <= b; ++k)
      if (k * p < b && k * p + length.count() > a) return true;
    return false;
  }
};

}  // namespace soak
