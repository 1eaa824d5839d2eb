// A sans-io room includes Asio: the build must refuse (test house.sans_io).
#include <boost/asio/post.hpp>
