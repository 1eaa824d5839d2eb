# Sourced by bench/http/run and bench/load/run: starts the canned DynamoDB
# (nginx answering every POST with one GetItem response) on 127.0.0.1:$port
# under the temporary folder $prefix, and over TLS on $tls_port (default
# port + 1; its certificate is $prefix/cert.pem), and stops it on exit.
# keepalive_requests=N: nginx closes each connection after N requests
# (default: never), so clients reconnect and resume TLS sessions.
#   port=18080 prefix=$(mktemp -d); source bench/http/canned-nginx.sh
trap 'kill "$(cat "$prefix/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$prefix"' EXIT
canned_body='{"Item":{"pk":{"S":"user#12345"},"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"n":{"N":"42"}}}'
canned_crc=$(python3 -c "import zlib,sys; print(zlib.crc32(sys.argv[1].encode()))" "$canned_body")
tls_port="${tls_port:-$((port + 1))}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$prefix/key.pem" -out "$prefix/cert.pem" 2>/dev/null
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@KEEPALIVE_REQUESTS@|${keepalive_requests:-100000000}|g" -e "s|@TLS_PORT@|$tls_port|g" -e "s|@CRC32@|$canned_crc|g" -e "s|@BODY@|$canned_body|g" \
  "$(dirname "${BASH_SOURCE[0]}")/nginx.conf.in" >"$prefix/nginx.conf"
nginx -c "$prefix/nginx.conf" -p "$prefix" &
for p in "$port" "$tls_port"; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done
