// OpenSSL's libcrypto (Debian: libssl-dev, which libpq-dev depends on): Ed25519 signatures for
// exchange bundles. Never part of Tongxin's API.
#include <openssl/evp.h>
#include <openssl/err.h>
