// OpenSSL's libcrypto (Debian: libssl-dev, which libpq-dev depends on): Ed25519 signatures for
// exchange bundles, and SHA-256. Never part of Tongxin's API.
#include <openssl/evp.h>
#include <openssl/err.h>
