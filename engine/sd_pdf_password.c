
/*
 * Copyright (C) scandoc authors
 *
 * Opening encrypted PDFs with the password a task gives.
 */


#include <string.h>

#include "sd_pdf.h"


/*
 * AES-256 (revisions 5 and 6) passwords are SASLprep'ed (RFC 4013) by
 * the writer; mupdf 1.21 does not prepare them, so a password with such
 * characters is tried again prepared.  Done here: spaces mapped to
 * U+0020, the "mapped to nothing" characters removed, and NFKC for the
 * compatibility characters a keyboard gives (ordinals, superscript
 * digits, full-width ASCII, Ohm, Kelvin and Angstrom signs); other text
 * is kept as typed.
 */
static int
sd_pdf_saslprep(const char *in, char *out, size_t size)
{
    size_t               n, k, j;
    unsigned             cp;
    const unsigned char  *p;

    p = (const unsigned char *) in;
    n = 0;

    while (*p) {
        k = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        cp = k == 1 ? *p : *p & (0x7f >> k);

        for (j = 1; j < k; j++) {
            if ((p[j] & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (p[j] & 0x3f);
        }

        if (cp == 0xad || cp == 0x34f || cp == 0x1806
            || (cp >= 0x180b && cp <= 0x180d)
            || (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060
            || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff)
        {
            p += k;
            continue;
        }

        if (cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a)
            || cp == 0x202f || cp == 0x205f || cp == 0x3000)
        {
            cp = ' ';

        } else if (cp == 0xaa || cp == 0xba) {
            cp = cp == 0xaa ? 'a' : 'o';

        } else if (cp == 0xb2 || cp == 0xb3 || cp == 0xb9) {
            cp = cp == 0xb9 ? '1' : '2' + (cp - 0xb2);

        } else if (cp >= 0xff01 && cp <= 0xff5e) {
            cp -= 0xfee0;

        } else if (cp == 0x2126 || cp == 0x212a || cp == 0x212b) {
            cp = cp == 0x2126 ? 0x3a9 : cp == 0x212a ? 'K' : 0xc5;
        }

        if (n + 4 >= size) {
            return -1;
        }

        n += fz_runetochar(out + n, (int) cp);
        p += k;
    }

    out[n] = '\0';

    return 0;
}


int
sd_pdf_authenticate(fz_context *ctx, pdf_document *doc, const char *password)
{
    char  prepared[4096];

    if (pdf_authenticate_password(ctx, doc, password)) {
        return 1;
    }

    return sd_pdf_saslprep(password, prepared, sizeof(prepared)) == 0
           && strcmp(prepared, password) != 0
           && pdf_authenticate_password(ctx, doc, prepared);
}
