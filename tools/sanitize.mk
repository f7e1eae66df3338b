# Compiler flags of `make sanitize` (R_MAKEVARS_USER): the package's C code built
# with AddressSanitizer and UndefinedBehaviorSanitizer. R itself is not
# instrumented, so the tests run with the sanitizer runtime preloaded.
CFLAGS = -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS = -fsanitize=address,undefined
