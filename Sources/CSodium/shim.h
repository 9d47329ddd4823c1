// libsodium (Debian: libsodium-dev): argon2id password hashing (crypto_pwhash_str), random
// bytes, constant-time comparison. Never part of Tongxin's API.
#include <sodium.h>
