// The examples, step 3: credentials from a source of your own. A provider
// implements ddb::credentials_provider (name, async_fetch); the client asks it
// when it has no credentials or they near expiry, caches what comes back,
// and a request waits for the fetch instead of failing. Here the "vault" is a
// timer that hands out short-lived keys (the keys DynamoDB Local accepts,
// read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); a real one would ask
// a secrets service over ddb::http or your own client. The provider never
// blocks: it completes through the handler's executor.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "run.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

class vault_provider final : public ddb::credentials_provider {
 public:
  std::string name() const override { return "example-vault"; }
  std::string location() const override { return "examples/credentials_provider.cpp"; }

  void async_fetch(asio::any_io_executor ex, ddb::credentials_handler handler) override {
    ++fetches_;
    // The "network": 20 ms later, keys valid for an hour (the client refreshes
    // them ahead of expiry: credentials_options::refresh_before).
    auto timer = std::make_shared<asio::steady_timer>(ex, 20ms);
    timer->async_wait([timer, h = std::move(handler)](boost::system::error_code ec) mutable {
      ddb::credentials c;
      if (ec) return std::move(h)(ec, std::move(c), "example-vault: cancelled");
      const char* id = std::getenv("AWS_ACCESS_KEY_ID");
      const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
      if (!id || !secret)
        return std::move(h)(make_error_code(ddb::errc::credentials_unavailable), std::move(c),
                            "example-vault: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this demo");
      c.access_key_id = id;
      c.secret_access_key = ddb::secret_string(secret);
      c.expiration = std::chrono::system_clock::now() + 1h;
      std::move(h)(boost::system::error_code(), std::move(c), std::string());
    });
  }
  int fetches() const noexcept { return fetches_; }

 private:
  std::atomic<int> fetches_{0};
};

asio::awaitable<void> demo() {
  auto executor = co_await asio::this_coro::executor;
  auto vault = std::make_shared<vault_provider>();
  ddb::client_config cfg;
  cfg.credentials_provider = vault;
  ddb::client db(executor, cfg);
  std::cout << "credentials from " << db.settings().provider->name() << "\n";

  // Three calls at once: they wait for the one fetch, then all sign with its keys.
  auto all_done = std::make_shared<asio::steady_timer>(executor, std::chrono::hours(1));
  auto left = std::make_shared<int>(3);
  auto failed = std::make_shared<int>(0);
  const ddb::list_tables_request list;
  for (int i = 0; i < 3; ++i)
    db.list_tables(list, [=](boost::system::error_code ec, ddb::list_tables_response) {
      if (ec) ++*failed;
      if (--*left == 0) all_done->cancel();
    });
  co_await all_done->async_wait(asio::as_tuple(asio::use_awaitable));
  std::cout << "3 calls, " << *failed << " failed, " << vault->fetches() << " fetch(es) from the vault\n";
  if (*failed != 0 || vault->fetches() != 1) throw std::runtime_error("expected 3 successes from one fetch");
}

int main() { return examples::run("credentials_provider", demo()); }
