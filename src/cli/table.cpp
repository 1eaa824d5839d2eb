// `ddb table apply|check|terraform --spec FILE [--table-name NAME]`: tables
// declared in a spec (src/tables/spec.hpp decides; this file reads the table,
// sends the planned requests and waits for the table between them).
//
//   apply      creates the table or brings it to the spec; --dry-run prints the
//              differences and the requests instead (nothing is sent)
//   check      prints the differences; exit 1 when there are any (drift)
//   terraform  prints the spec as an aws_dynamodb_table resource
//              [--resource NAME] [--module: name, tags and stream from variables]
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "tables/spec.hpp"

namespace ddb::cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

tables::table_spec read_spec(const args& a) {
  const std::string path = a.require("spec");
  std::ifstream f(path);
  if (!f) throw usage_error("cannot read the table spec " + path + " (--spec)");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto spec = tables::parse_spec(text);
  if (!spec) throw usage_error(path + ": " + spec.error().message);
  if (a.options.count("table-name")) spec->table_name = a.get("table-name");
  if (spec->table_name.empty()) throw usage_error(path + " names no table: add \"table_name\" to it or give --table-name");
  return std::move(*spec);
}

[[noreturn]] void failed(const error_code& ec, diagnostics diag) { throw ddb::make_error(ec, std::move(diag)); }

bool unsupported(const error_code& ec, const diagnostics& diag) {
  return ec && diag.service_type == "UnknownOperationException";
}

// The table as it is now, in the spec's shape (spec none: it does not
// exist). Settings the endpoint has no operation for (DynamoDB Local has no
// backups or tagging) are not known: said, and taken as the spec's.
struct reading {
  std::optional<tables::table_spec> spec;
  std::string arn;
  bool backups_known = true, tags_known = true;
};

asio::awaitable<reading> read_table(ddb::client& c, std::string name) {
  reading out;
  tables::observed o;
  describe_table_request d;
  d.table_name = name;
  auto [ec, r] = co_await c.describe_table(d, tuple_token);
  if (ec == service_errc::resource_not_found) co_return out;
  if (ec) failed(ec, std::move(r.diag));
  if (r.table) o.table = std::move(*r.table);
  out.arn = o.table.table_arn.value_or("");
  describe_time_to_live_request t;
  t.table_name = name;
  auto [tec, tr] = co_await c.describe_time_to_live(t, tuple_token);
  if (tec) failed(tec, std::move(tr.diag));
  o.ttl = std::move(tr.time_to_live_description);
  describe_continuous_backups_request b;
  b.table_name = name;
  auto [bec, br] = co_await c.describe_continuous_backups(b, tuple_token);
  if (unsupported(bec, br.diag)) out.backups_known = false;
  else if (bec) failed(bec, std::move(br.diag));
  o.backups = std::move(br.continuous_backups_description);
  list_tags_of_resource_request l;
  l.resource_arn = out.arn;
  while (!out.arn.empty()) {
    auto [lec, lr] = co_await c.list_tags_of_resource(l, tuple_token);
    if (unsupported(lec, lr.diag)) {
      out.tags_known = false;
      break;
    }
    if (lec) failed(lec, std::move(lr.diag));
    for (tag& g : lr.tags) o.tags.push_back(std::move(g));
    if (!lr.next_token) break;
    l.next_token = lr.next_token;
  }
  out.spec = tables::spec_of(o);
  co_return out;
}

// What cannot be read is taken as the spec's, and said (once a command).
std::optional<tables::table_spec> known_part(const reading& r, const tables::table_spec& want, bool say) {
  std::optional<tables::table_spec> have = r.spec;
  if (!have) return have;
  if (!r.backups_known) {
    have->point_in_time_recovery = want.point_in_time_recovery;
    if (say) std::cerr << "ddb: the endpoint has no continuous-backups operations (DynamoDB Local has none): "
                          "point-in-time recovery neither read nor changed\n";
  }
  if (!r.tags_known) {
    have->tags = want.tags;
    if (say) std::cerr << "ddb: the endpoint does not support tagging (DynamoDB Local does not): tags neither read nor changed\n";
  }
  return have;
}

// Until the table and every index are ACTIVE (DynamoDB takes one change at
// a time); every 30 polls it says what it is waiting for, and at --timeout-ms
// it stops with that.
asio::awaitable<void> settle(ddb::client& c, std::string name, std::chrono::milliseconds delay,
                             std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (int poll = 1;; ++poll) {
    describe_table_request d;
    d.table_name = name;
    auto [ec, r] = co_await c.describe_table(d, tuple_token);
    if (ec) failed(ec, std::move(r.diag));
    std::string waiting;
    if (!r.table || !r.table->table_status || !(*r.table->table_status == table_status::active))
      waiting = "table " + name + " is " + (r.table && r.table->table_status ? std::string(r.table->table_status->str()) : "?");
    if (r.table)
      for (const global_secondary_index_description& g : r.table->global_secondary_indexes)
        if (g.index_status && !(*g.index_status == index_status::active))
          waiting += (waiting.empty() ? "" : ", ") + ("index " + g.index_name.value_or("?") + " is " +
                                                      std::string(g.index_status->str()));
    if (waiting.empty()) co_return;
    if (std::chrono::steady_clock::now() > until)
      throw ddb::error(fail(errc::operation_timeout, "gave up waiting after --timeout-ms: " + waiting));
    if (poll % 30 == 0) std::cerr << "ddb: waiting: " << waiting << "\n";
    const auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, delay);
    co_await t.async_wait(asio::use_awaitable);
  }
}

template <class Request>
void print_request(const char* target, const Request& r) {
  auto json = ddb::detail::encode(r);
  std::cout << "  " << target << " " << (json ? *json : "(" + json.error().message + ")") << "\n";
}

void print_step(const tables::step& s) {
  std::cout << s.what << ":\n";
  if (s.create) print_request("CreateTable", *s.create);
  if (s.update) print_request("UpdateTable", *s.update);
  if (s.ttl) print_request("UpdateTimeToLive", *s.ttl);
  if (s.backups) print_request("UpdateContinuousBackups", *s.backups);
  if (s.tag) print_request("TagResource", *s.tag);
  if (s.untag) print_request("UntagResource", *s.untag);
}

// Sends a step's request; false: the endpoint has no such operation (said).
asio::awaitable<bool> tables_send(ddb::client& c, const tables::step& s) {
  auto skipped = [](const char* op) {
    std::cout << "  skipped: the endpoint has no " << op << " operation (DynamoDB Local has none)\n";
    return false;
  };
  if (s.create) {
    auto [ec, r] = co_await c.create_table(*s.create, tuple_token);
    if (ec) failed(ec, std::move(r.diag));
  }
  if (s.update) {
    auto [ec, r] = co_await c.update_table(*s.update, tuple_token);
    if (ec) failed(ec, std::move(r.diag));
  }
  if (s.ttl) {
    auto [ec, r] = co_await c.update_time_to_live(*s.ttl, tuple_token);
    if (ec) failed(ec, std::move(r.diag));
  }
  if (s.backups) {
    auto [ec, r] = co_await c.update_continuous_backups(*s.backups, tuple_token);
    if (unsupported(ec, r.diag)) co_return skipped("UpdateContinuousBackups");
    if (ec) failed(ec, std::move(r.diag));
  }
  if (s.untag) {
    auto [ec, r] = co_await c.untag_resource(*s.untag, tuple_token);
    if (unsupported(ec, r.diag)) co_return skipped("UntagResource");
    if (ec) failed(ec, std::move(r.diag));
  }
  if (s.tag) {
    auto [ec, r] = co_await c.tag_resource(*s.tag, tuple_token);
    if (unsupported(ec, r.diag)) co_return skipped("TagResource");
    if (ec) failed(ec, std::move(r.diag));
  }
  co_return true;
}

int run(asio::io_context& io, ddb::client& c, const std::function<asio::awaitable<int>()>& body) {
  int rc = 0;
  std::exception_ptr failure;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { rc = co_await body(); }, [&](std::exception_ptr e) {
    failure = e;
    c.close();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return rc;
}

}  // namespace

int table_command(const args& a) {
  const std::string what = a.positional.size() > 1 ? a.positional[1] : "";
  if (what != "apply" && what != "check" && what != "terraform")
    throw usage_error("say `ddb table apply`, `check` or `terraform` --spec FILE (see ddb help)");
  const tables::table_spec want = read_spec(a);
  if (what == "terraform") {
    tables::module_inputs inputs;
    std::string resource = a.get("resource", "this");
    std::cout << tables::terraform(want, resource, a.options.count("module") ? &inputs : nullptr);
    return 0;
  }
  const auto delay = std::chrono::milliseconds(a.number("delay-ms", 2000));
  const auto timeout = std::chrono::milliseconds(a.number("timeout-ms", 1800000));
  const bool dry = a.options.count("dry-run") != 0;
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  return run(io, c, [&]() -> asio::awaitable<int> {
    const reading before = co_await read_table(c, want.table_name);
    const std::optional<tables::table_spec> have = known_part(before, want, true);
    const std::vector<tables::difference> diffs = tables::differences(want, have);
    if (what == "check") {
      for (const tables::difference& d : diffs) std::cout << d.text() << "\n";
      if (diffs.empty()) std::cout << "table " << want.table_name << " matches the spec\n";
      co_return diffs.empty() ? 0 : 1;
    }
    auto steps = tables::plan(want, have, before.arn);
    if (!steps) throw usage_error(steps.error().message);
    if (steps->empty()) {
      std::cout << "table " << want.table_name << " matches the spec: nothing to do\n";
      co_return 0;
    }
    for (const tables::difference& d : diffs) std::cout << (dry ? "would change " : "changing ") << d.text() << "\n";
    std::vector<std::string> skipped;
    for (const tables::step& s : *steps) {
      if (dry) {
        print_step(s);
        continue;
      }
      std::cout << s.what << "\n" << std::flush;
      if (!co_await tables_send(c, s)) skipped.push_back(s.what);
      co_await settle(c, want.table_name, delay, timeout);
    }
    if (dry) co_return 0;
    // What the endpoint did not take (DynamoDB Local ignores some settings): said, not hidden.
    const reading after = co_await read_table(c, want.table_name);
    const std::vector<tables::difference> left = tables::differences(want, known_part(after, want, false));
    for (const tables::difference& d : left) std::cout << "not taken by the endpoint: " << d.text() << "\n";
    for (const std::string& w : skipped) std::cout << "not taken by the endpoint: " << w << " (no such operation)\n";
    const bool whole = left.empty() && skipped.empty();
    std::cout << "table " << want.table_name << (whole ? " matches the spec\n" : " differs from the spec (above)\n");
    co_return whole ? 0 : 1;
  });
}

}  // namespace ddb::cli
