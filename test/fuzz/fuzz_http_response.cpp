// The HTTP response parser: any bytes, fed in one piece and in pieces whose
// sizes the input chooses, must give the same outcome (and, when complete,
// the same response); nothing may crash, hang or overflow.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/http_response.hpp"

namespace {

using ddb::detail::response_parser;

struct outcome {
  response_parser::result r;
  ddb::detail::http_response res;
  std::size_t consumed;
};

outcome parse(const std::string& text, const std::uint8_t* steps, std::size_t n_steps, bool eof) {
  response_parser p(64 * 1024, 1024);
  std::string buffer;
  std::size_t fed = 0, consumed = 0, k = 0;
  auto r = response_parser::result::need_more;
  while (fed < text.size()) {
    std::size_t step = n_steps == 0 ? text.size() : (steps[k++ % n_steps] % 64) + 1;
    step = std::min(step, text.size() - fed);
    buffer.append(text, fed, step);
    fed += step;
    std::size_t used = 0;
    r = p.feed(buffer, used);
    if (used > buffer.size()) __builtin_trap();
    consumed += used;
    buffer.erase(0, used);
    if (r != response_parser::result::need_more) break;
  }
  if (r == response_parser::result::need_more && eof) r = p.feed_eof();
  return {r, p.get(), consumed};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: how many step sizes follow (0-7), then whether the peer closes.
  const std::size_t n_steps = data[0] & 7;
  const bool eof = (data[0] & 8) != 0;
  if (size < 1 + n_steps) return 0;
  const std::uint8_t* steps = data + 1;
  const std::string text(reinterpret_cast<const char*>(data + 1 + n_steps), size - 1 - n_steps);
  const outcome whole = parse(text, nullptr, 0, eof);
  const outcome split = parse(text, steps, n_steps == 0 ? 1 : n_steps, eof);
  if (whole.r != split.r) __builtin_trap();
  if (whole.r == response_parser::result::done) {
    if (whole.res.status != split.res.status || whole.res.body != split.res.body ||
        whole.res.request_id != split.res.request_id || whole.res.crc32 != split.res.crc32 ||
        whole.res.keep_alive != split.res.keep_alive || whole.consumed != split.consumed)
      __builtin_trap();
  }
  return 0;
}
