#include "common/id.h"

#include <sys/random.h>

namespace berth {

std::string random_id() {
    for (;;) {
        unsigned char bytes[32];
        size_t got = 0;
        while (got < sizeof bytes) {
            ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
            if (n > 0) got += static_cast<size_t>(n);
        }
        static const char hex[] = "0123456789abcdef";
        std::string id;
        for (unsigned char b : bytes) id += hex[b >> 4], id += hex[b & 15];
        bool numeric = true;
        for (int i = 0; i < 12; ++i) numeric &= id[i] >= '0' && id[i] <= '9';
        if (!numeric) return id;
    }
}

}  // namespace berth
