// The timer behind ddb::cancel_after (declared in ddb/client.hpp).
#include <boost/asio/steady_timer.hpp>

#include "ddb/client.hpp"

namespace ddb::detail {

class cancel_timer {
 public:
  explicit cancel_timer(const boost::asio::any_io_executor& ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  boost::asio::cancellation_signal signal;
};

std::shared_ptr<cancel_timer> start_cancel_timer(const boost::asio::any_io_executor& ex,
                                                 std::chrono::steady_clock::duration timeout) {
  auto t = std::make_shared<cancel_timer>(ex);
  t->timer.expires_after(timeout);
  // The wait holds the timer weakly: when the operation completes first and
  // drops the last reference, the timer dies and the wait ends aborted.
  t->timer.async_wait([w = std::weak_ptr<cancel_timer>(t)](boost::system::error_code ec) {
    if (auto s = w.lock(); s && !ec) s->signal.emit(boost::asio::cancellation_type::terminal);
  });
  return t;
}

boost::asio::cancellation_slot cancel_timer_slot(cancel_timer& t) noexcept { return t.signal.slot(); }

void stop_cancel_timer(cancel_timer& t) noexcept { t.timer.cancel(); }

}  // namespace ddb::detail
