// What the kernel's part of a GetItem costs through an io_uring loop of
// ddb's own design, beside an epoll loop, with no client work at all (no
// signing, no JSON, one fixed request): issue 20, item 7, asks whether an
// own ring would beat epoll before anyone builds the backend.
//
//   probe uring|epoll|epoll-speculative PORT CONNECTIONS REQUESTS
//
// Each connection sends wrk's GetItem (bench/http/get-item.lua) again as
// soon as the previous reply is in, until REQUESTS replies came back; prints
// the process's user+sys CPU per request. Replies are counted by length:
// the canned nginx answers every request with the same bytes (its Date
// header has a fixed width), whose length the first reply gives.
//
// The ring: one multishot receive per connection into a provided-buffer
// ring (no per-read submission, no buffer per connection), sends and
// re-armed receives queued and submitted together once per loop turn with
// the wait (io_uring_submit_and_wait), registered file descriptors, a
// single issuer with deferred task running. The epoll loop: level-triggered
// epoll_wait, one recv per readable socket, send at once (what Asio does,
// minus its speculative recv; epoll-speculative adds it).
#include <liburing.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

const std::string request =
    "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
    "X-Amz-Target: DynamoDB_20120810.GetItem\r\nContent-Length: 53\r\n\r\n"
    R"({"TableName":"bench","Key":{"pk":{"S":"user#12345"}}})";

[[noreturn]] void die(const char* what, int err) {
  std::fprintf(stderr, "probe: %s: %s\n", what, std::strerror(err));
  std::exit(2);
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect", errno);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The length of one reply, from the first one (read blocking).
std::size_t reply_length(int fd) {
  if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) die("send", errno);
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) die("recv", n == 0 ? ECONNRESET : errno);
    got.append(buf, static_cast<std::size_t>(n));
    const auto end = got.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const auto cl = got.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) die("reply without Content-Length", EPROTO);
    const std::size_t total = end + 4 + std::strtoul(got.c_str() + cl + 16, nullptr, 10);
    if (got.size() >= total) return total;
  }
}

struct conn {
  int fd = -1;
  std::size_t partial = 0;  // bytes of the reply being received
};

struct counts {
  long sent = 0, replies = 0;
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Replies completed by n more bytes on c.
long take(conn& c, std::size_t n, std::size_t reply) {
  c.partial += n;
  const long whole = static_cast<long>(c.partial / reply);
  c.partial %= reply;
  return whole;
}

// speculative: after each read, read again until EAGAIN, as Asio 1.81 does
// (it marks a socket drained only when a read returns 0 bytes).
void run_epoll(std::vector<conn>& cs, long total, std::size_t reply, bool speculative) {
  const int ep = ::epoll_create1(0);
  counts k;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    ::send(cs[i].fd, request.data(), request.size(), MSG_NOSIGNAL);
    ++k.sent;
  }
  epoll_event evs[128];
  char buf[16384];
  while (k.replies < total) {
    const int n = ::epoll_wait(ep, evs, 128, -1);
    for (int i = 0; i < n; ++i) {
      conn& c = cs[evs[i].data.u64];
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) die("recv", got == 0 ? ECONNRESET : errno);
      if (speculative && ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) die("recv: more than one reply", EPROTO);
      for (long r = take(c, static_cast<std::size_t>(got), reply); r > 0; --r) {
        ++k.replies;
        if (k.sent < total) {
          ::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
          ++k.sent;
        }
      }
    }
  }
  ::close(ep);
}

constexpr unsigned buffers = 1024, buffer_size = 4096, group = 7;

void run_uring(std::vector<conn>& cs, long total, std::size_t reply) {
  io_uring ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (const int r = io_uring_queue_init_params(1024, &ring, &p); r < 0) die("io_uring_queue_init", -r);
  std::vector<int> fds;
  for (const conn& c : cs) fds.push_back(c.fd);
  if (const int r = io_uring_register_files(&ring, fds.data(), static_cast<unsigned>(fds.size())); r < 0)
    die("io_uring_register_files", -r);

  // The provided-buffer ring: the kernel picks a buffer per received chunk.
  const std::size_t ring_bytes = buffers * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) die("mmap", errno);
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<unsigned long>(br);
  reg.ring_entries = buffers;
  reg.bgid = group;
  if (const int r = io_uring_register_buf_ring(&ring, &reg, 0); r < 0) die("io_uring_register_buf_ring", -r);
  std::vector<char> data(static_cast<std::size_t>(buffers) * buffer_size);
  const int mask = io_uring_buf_ring_mask(buffers);
  for (unsigned b = 0; b < buffers; ++b)
    io_uring_buf_ring_add(br, data.data() + static_cast<std::size_t>(b) * buffer_size, buffer_size,
                          static_cast<unsigned short>(b), mask, static_cast<int>(b));
  io_uring_buf_ring_advance(br, static_cast<int>(buffers));

  auto arm_recv = [&](std::size_t i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv_multishot(sqe, static_cast<int>(i), nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    io_uring_sqe_set_data64(sqe, i << 1);  // low bit 0: a receive
  };
  auto send = [&](std::size_t i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_send(sqe, static_cast<int>(i), request.data(), request.size(), MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;  // a send's success needs no completion
    io_uring_sqe_set_data64(sqe, (i << 1) | 1);
  };
  counts k;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    arm_recv(i);
    send(i);
    ++k.sent;
  }
  while (k.replies < total) {
    if (const int r = io_uring_submit_and_wait(&ring, 1); r < 0 && r != -EINTR) die("io_uring_submit_and_wait", -r);
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    int returned = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const std::size_t i = cqe->user_data >> 1;
      if (cqe->user_data & 1) die("send", -cqe->res);  // only failures complete
      if (cqe->res <= 0) die("recv", cqe->res == 0 ? ECONNRESET : -cqe->res);
      const auto bid = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
      for (long r = take(cs[i], static_cast<std::size_t>(cqe->res), reply); r > 0; --r) {
        ++k.replies;
        if (k.sent < total) {
          send(i);
          ++k.sent;
        }
      }
      io_uring_buf_ring_add(br, data.data() + static_cast<std::size_t>(bid) * buffer_size, buffer_size, bid, mask,
                            returned++);
      if (!(cqe->flags & IORING_CQE_F_MORE)) arm_recv(i);  // the multishot ended (out of buffers): again
    }
    io_uring_buf_ring_advance(br, returned);
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: probe uring|epoll|epoll-speculative PORT CONNECTIONS REQUESTS\n");
    return 2;
  }
  const std::string_view mode = argv[1];
  const int port = std::atoi(argv[2]);
  const long connections = std::atol(argv[3]), total = std::atol(argv[4]);
  if ((mode != "uring" && mode != "epoll" && mode != "epoll-speculative") || port <= 0 || connections <= 0 || connections > 512 || total <= 0) {
    std::fprintf(stderr, "probe: bad arguments\n");
    return 2;
  }
  std::vector<conn> cs(static_cast<std::size_t>(connections));
  for (conn& c : cs) c.fd = connect_to(port);
  const std::size_t reply = reply_length(cs[0].fd);
  const double before = cpu_seconds();
  if (mode == "uring")
    run_uring(cs, total, reply);
  else
    run_epoll(cs, total, reply, mode == "epoll-speculative");
  const double cpu = cpu_seconds() - before;
  std::printf("%s: %ld replies of %zu bytes, cpu per request: %.2f us (user+sys)\n", argv[1], total, reply,
              cpu / static_cast<double>(total) * 1e6);
  for (conn& c : cs) ::close(c.fd);
  return 0;
}
