// The parsers of what users write for `ddb table` and `ddb load` (pure code):
// a table spec (then its plan from nothing, its differences with itself, its
// Terraform: nothing may throw), an item-size spec (then draws within the
// item limit), a rate schedule and a duration (then planned times in order),
// an operation mix, a key distribution (then keys in range), and the
// HdrHistogram V2 encoding and interval log `load report` reads back. Any
// input parses or fails with an error, never throws, never reads out of
// bounds. The first byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "load/hdr_log.hpp"
#include "load/keys.hpp"
#include "load/mix.hpp"
#include "load/schedule.hpp"
#include "load/sizes.hpp"
#include "tables/spec.hpp"

namespace {

[[noreturn]] void broken() { __builtin_trap(); }

void table_spec(const std::string& text) {
  auto s = ddb::tables::parse_spec(text);
  if (!s) return;
  if (s->table_name.empty()) s->table_name = "t";
  auto steps = ddb::tables::plan(*s, std::nullopt, "");
  if (!steps || steps->empty() || !steps->front().create) broken();
  if (!ddb::tables::differences(*s, *s).empty()) broken();  // a spec matches itself
  auto again = ddb::tables::plan(*s, *s, "arn");
  if (!again || !again->empty()) broken();
  const std::string hcl = ddb::tables::terraform(*s, "t");
  if (hcl.rfind("resource \"aws_dynamodb_table\" \"t\" {\n", 0) != 0) broken();
}

void size_spec(const std::string& text) {
  auto s = ddb::load::parse_size_spec(text);
  if (!s) return;
  ddb::load::size_generator g(*s, 1);
  for (int i = 0; i < 8; ++i) {
    const std::int64_t v = g.next();
    if (v < 0 || v > ddb::load::max_item_pad) broken();
  }
}

void schedule(const std::string& text) {
  (void)ddb::load::parse_duration(text);
  auto s = ddb::load::schedule::parse(text);
  if (!s) return;
  if (s->total() <= 0) broken();
  std::optional<ddb::load::nanos> last;
  for (std::int64_t n : {std::int64_t{0}, s->total() / 2, s->total() - 1}) {
    auto at = s->at(n);
    if (!at || *at < ddb::load::nanos(0) || *at > s->length() + ddb::load::nanos(1'000'000)) broken();
    if (last && *at < *last) broken();
    last = at;
  }
  if (s->at(s->total())) broken();
}

void mix_and_keys(const std::string& text) {
  static const std::vector<std::string> known{"get-item", "put-item", "query"};
  if (auto m = ddb::load::parse_mix(text, known)) {
    ddb::load::mix_picker p(*m, 1);
    for (int i = 0; i < 8; ++i)
      if (p.next() >= m->size()) broken();
  }
  if (auto k = ddb::load::parse_key_spec(text, 1000, 0.25)) {
    ddb::load::key_generator g(*k, 1);
    for (int i = 0; i < 8; ++i) {
      const std::int64_t v = g.next();
      if (v < 0 || v >= 1000) broken();
    }
  }
}

void histograms(const std::string& text) {
  if (auto h = ddb::load::decode_histogram(text)) {
    const std::string again = ddb::load::encode_histogram(*h);
    auto back = ddb::load::decode_histogram(again);
    if (!back || back->counts() != h->counts()) broken();  // what decodes re-encodes to the same counts
  }
  (void)ddb::load::read_log(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: table_spec(text); break;
    case 1: size_spec(text); break;
    case 2: schedule(text); break;
    case 3: mix_and_keys(text); break;
    default: histograms(text); break;
  }
  return 0;
}
