/* ELF facts for the loader emulation, read with libelf (docs/architecture.md, "libelf"). Every file
 * is hostile input: offsets are bounds-checked, strings must be NUL-terminated inside their table,
 * sizes are capped, and a damaged file gives DISTILL_EINTEGRITY instead of a crash. */
#include "distill/elf/elf.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELF_MAX_STRING      4096
#define ELF_MAX_DYN_ENTRIES 65536
#define ELF_MAX_NEEDED      4096
#define ELF_MAX_PHDRS       65535

struct dyn_strings {
        /* Offsets into the dynamic string table, collected before the table is known. */
        uint64_t needed[ELF_MAX_NEEDED];
        size_t n_needed;
        bool has_soname, has_rpath, has_runpath;
        uint64_t soname, rpath, runpath;
        bool has_strtab, has_strsz;
        uint64_t strtab_addr, strsz;
};

/* Where the strings come from: a section (elf_strptr) or a raw region mapped from PT_LOAD. */
struct strtab_ref {
        size_t scn_index; /* 0 when the raw region is used */
        const char *raw;
        uint64_t raw_size;
};

bool elf_has_magic(const void *buf, size_t len)
{
        return buf && len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

void elf_info_release(struct elf_info *info)
{
        if (!info)
                return;
        free(info->interp);
        free(info->rpath);
        free(info->runpath);
        free(info->soname);
        strvec_clear(&info->needed);
        memset(info, 0, sizeof(*info));
}

static int corrupt(struct distill_error *err, const char *name, const char *what)
{
        return distill_error_set(err, DISTILL_EINTEGRITY, "%s: truncated or corrupt ELF (%s)", name,
                                 what);
}

static int corrupt_libelf(struct distill_error *err, const char *name, const char *what)
{
        return distill_error_set(err, DISTILL_EINTEGRITY, "%s: truncated or corrupt ELF (%s: %s)",
                                 name, what, elf_errmsg(-1));
}

/* ld.so takes these strings as paths and file names; a control character or an absurd length
 * only appears in a crafted file. */
static bool string_is_sane(const char *s)
{
        size_t n = strnlen(s, ELF_MAX_STRING + 1);
        if (n > ELF_MAX_STRING)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20 || c == 0x7f)
                        return false;
        }
        return true;
}

static int read_interp(Elf *e, const GElf_Phdr *ph, const char *name, struct elf_info *out,
                       struct distill_error *err)
{
        size_t size = 0;
        const char *raw = elf_rawfile(e, &size);
        if (!raw)
                return corrupt_libelf(err, name, "PT_INTERP");
        if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || ph->p_filesz == 0)
                return corrupt(err, name, "PT_INTERP outside the file");
        const char *s = raw + ph->p_offset;
        if (!memchr(s, '\0', ph->p_filesz))
                return corrupt(err, name, "PT_INTERP not NUL-terminated");
        if (!string_is_sane(s) || !*s)
                return corrupt(err, name, "PT_INTERP string invalid");
        free(out->interp);
        out->interp = xstrdup(s);
        return 0;
}

static int collect_dyn(GElf_Dyn *dyn, struct dyn_strings *ds, struct elf_info *out,
                       const char *name, struct distill_error *err)
{
        switch (dyn->d_tag) {
        case DT_NEEDED:
                if (ds->n_needed >= ELF_MAX_NEEDED)
                        return corrupt(err, name, "too many DT_NEEDED entries");
                ds->needed[ds->n_needed++] = dyn->d_un.d_val;
                break;
        case DT_SONAME:
                ds->has_soname = true;
                ds->soname = dyn->d_un.d_val;
                break;
        case DT_RPATH:
                ds->has_rpath = true;
                ds->rpath = dyn->d_un.d_val;
                break;
        case DT_RUNPATH:
                ds->has_runpath = true;
                ds->runpath = dyn->d_un.d_val;
                break;
        case DT_STRTAB:
                ds->has_strtab = true;
                ds->strtab_addr = dyn->d_un.d_ptr;
                break;
        case DT_STRSZ:
                ds->has_strsz = true;
                ds->strsz = dyn->d_un.d_val;
                break;
        case DT_FLAGS_1:
                out->flags_1 = dyn->d_un.d_val;
                break;
        default:
                break;
        }
        return 0;
}

/* Walks the entries of an Elf_Data holding Elf_Dyn records, up to DT_NULL. */
static int walk_dyn_data(Elf *e, Elf_Data *data, struct dyn_strings *ds, struct elf_info *out,
                         const char *name, struct distill_error *err)
{
        size_t entsize = gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT);
        if (entsize == 0)
                return corrupt_libelf(err, name, "dynamic entry size");
        size_t count = data->d_size / entsize;
        if (count > ELF_MAX_DYN_ENTRIES)
                return corrupt(err, name, "dynamic section too large");
        for (size_t i = 0; i < count; i++) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(data, (int)i, &dyn))
                        return corrupt_libelf(err, name, "dynamic entry");
                if (dyn.d_tag == DT_NULL)
                        break;
                int r = collect_dyn(&dyn, ds, out, name, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *lookup_string(Elf *e, const struct strtab_ref *st, uint64_t off)
{
        if (st->scn_index)
                return elf_strptr(e, st->scn_index, (size_t)off);
        if (off >= st->raw_size)
                return NULL;
        if (!memchr(st->raw + off, '\0', st->raw_size - off))
                return NULL;
        return st->raw + off;
}

static int take_string(Elf *e, const struct strtab_ref *st, uint64_t off, const char *tag,
                       const char *name, char **dst, struct distill_error *err)
{
        const char *s = lookup_string(e, st, off);
        if (!s) {
                char what[64];
                snprintf(what, sizeof(what), "%s string offset %llu out of range", tag,
                         (unsigned long long)off);
                return corrupt(err, name, what);
        }
        if (!string_is_sane(s)) {
                char what[64];
                snprintf(what, sizeof(what), "%s string invalid", tag);
                return corrupt(err, name, what);
        }
        *dst = xstrdup(s);
        return 0;
}

static int resolve_strings(Elf *e, const struct strtab_ref *st, const struct dyn_strings *ds,
                           const char *name, struct elf_info *out, struct distill_error *err)
{
        int r;
        for (size_t i = 0; i < ds->n_needed; i++) {
                char *s = NULL;
                r = take_string(e, st, ds->needed[i], "DT_NEEDED", name, &s, err);
                if (r < 0)
                        return r;
                if (!*s) {
                        free(s);
                        return corrupt(err, name, "empty DT_NEEDED");
                }
                strvec_push_nodup(&out->needed, s);
        }
        if (ds->has_soname &&
            (r = take_string(e, st, ds->soname, "DT_SONAME", name, &out->soname, err)) < 0)
                return r;
        if (ds->has_runpath &&
            (r = take_string(e, st, ds->runpath, "DT_RUNPATH", name, &out->runpath, err)) < 0)
                return r;
        /* glibc ignores DT_RPATH when DT_RUNPATH exists (elf/get-dynamic-info.h). */
        if (ds->has_rpath && !ds->has_runpath &&
            (r = take_string(e, st, ds->rpath, "DT_RPATH", name, &out->rpath, err)) < 0)
                return r;
        return 0;
}

static bool needs_strings(const struct dyn_strings *ds)
{
        return ds->n_needed || ds->has_soname || ds->has_rpath || ds->has_runpath;
}

/* Objects with section headers: the SHT_DYNAMIC section and its sh_link string table. Returns 1
 * when handled, 0 when there is no usable dynamic section (fall back to PT_DYNAMIC). */
static int read_dynamic_sections(Elf *e, const char *name, struct elf_info *out,
                                 struct distill_error *err)
{
        size_t shnum = 0;
        if (elf_getshdrnum(e, &shnum) != 0)
                return corrupt_libelf(err, name, "section count");
        if (shnum == 0)
                return 0;
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(e, scn)) != NULL) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh))
                        return corrupt_libelf(err, name, "section header");
                if (sh.sh_type != SHT_DYNAMIC)
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                if (!data)
                        return corrupt_libelf(err, name, "dynamic section");
                struct dyn_strings *ds = xcalloc(1, sizeof(*ds));
                int r = walk_dyn_data(e, data, ds, out, name, err);
                if (r == 0 && needs_strings(ds)) {
                        if (sh.sh_link == 0 || sh.sh_link >= shnum) {
                                r = corrupt(err, name, "dynamic string table link");
                        } else {
                                struct strtab_ref st = {.scn_index = sh.sh_link};
                                r = resolve_strings(e, &st, ds, name, out, err);
                        }
                }
                free(ds);
                if (r < 0)
                        return r;
                out->has_dynamic = true;
                return 1;
        }
        return 0;
}

/* ld.so itself only looks at PT_DYNAMIC; sstrip'ed objects have no section headers. DT_STRTAB is
 * an address, mapped to a file offset through the PT_LOAD segment that contains it. */
static int map_strtab(Elf *e, size_t phnum, const struct dyn_strings *ds, const char *name,
                      struct strtab_ref *st, struct distill_error *err)
{
        size_t size = 0;
        const char *raw = elf_rawfile(e, &size);
        if (!raw)
                return corrupt_libelf(err, name, "raw file");
        if (!ds->has_strtab || !ds->has_strsz)
                return corrupt(err, name, "PT_DYNAMIC without DT_STRTAB/DT_STRSZ");
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(e, (int)i, &ph))
                        return corrupt_libelf(err, name, "program header");
                if (ph.p_type != PT_LOAD)
                        continue;
                if (ds->strtab_addr < ph.p_vaddr || ds->strtab_addr - ph.p_vaddr >= ph.p_filesz)
                        continue;
                uint64_t delta = ds->strtab_addr - ph.p_vaddr;
                if (ds->strsz > ph.p_filesz - delta)
                        return corrupt(err, name, "DT_STRSZ beyond its segment");
                if (ph.p_offset > size || delta > size - ph.p_offset ||
                    ds->strsz > size - ph.p_offset - delta)
                        return corrupt(err, name, "dynamic string table outside the file");
                st->scn_index = 0;
                st->raw = raw + ph.p_offset + delta;
                st->raw_size = ds->strsz;
                return 0;
        }
        return corrupt(err, name, "DT_STRTAB not inside any PT_LOAD");
}

static int read_dynamic_segment(Elf *e, size_t phnum, const GElf_Phdr *dynph, const char *name,
                                struct elf_info *out, struct distill_error *err)
{
        size_t size = 0;
        if (!elf_rawfile(e, &size))
                return corrupt_libelf(err, name, "raw file");
        if (dynph->p_offset > size || dynph->p_filesz > size - dynph->p_offset)
                return corrupt(err, name, "PT_DYNAMIC outside the file");
        Elf_Data *data =
            elf_getdata_rawchunk(e, (int64_t)dynph->p_offset, dynph->p_filesz, ELF_T_DYN);
        if (!data)
                return corrupt_libelf(err, name, "PT_DYNAMIC");
        struct dyn_strings *ds = xcalloc(1, sizeof(*ds));
        int r = walk_dyn_data(e, data, ds, out, name, err);
        if (r == 0 && needs_strings(ds)) {
                struct strtab_ref st = {0};
                r = map_strtab(e, phnum, ds, name, &st, err);
                if (r == 0)
                        r = resolve_strings(e, &st, ds, name, out, err);
        }
        free(ds);
        if (r == 0)
                out->has_dynamic = true;
        return r;
}

/* A file cut short still parses as far as its headers reach; ld.so would map segments past
 * the end of the file. Every segment and the section header table must lie inside it. */
static int check_extents(Elf *e, const GElf_Ehdr *eh, size_t phnum, uint64_t size, const char *name,
                         struct distill_error *err)
{
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(e, (int)i, &ph))
                        return corrupt_libelf(err, name, "program header");
                if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
                        return corrupt(err, name, "segment extends past the end of the file");
        }
        if (eh->e_shoff != 0) {
                size_t shnum = 0;
                if (elf_getshdrnum(e, &shnum) != 0)
                        return corrupt_libelf(err, name, "section count");
                /* libelf reports 0 sections when it could not read the table at all. */
                if (shnum < eh->e_shnum)
                        shnum = eh->e_shnum;
                uint64_t shsize = (uint64_t)shnum * eh->e_shentsize;
                if (eh->e_shoff > size || shsize > size - eh->e_shoff)
                        return corrupt(err, name, "section headers past the end of the file");
        }
        return 0;
}

static int read_elf(Elf *e, uint64_t size, const char *name, struct elf_info *out,
                    struct distill_error *err)
{
        GElf_Ehdr eh;
        int r;

        if (!gelf_getehdr(e, &eh))
                return corrupt_libelf(err, name, "ELF header");
        out->elfclass = eh.e_ident[EI_CLASS];
        out->data = eh.e_ident[EI_DATA];
        if (out->elfclass != ELFCLASS32 && out->elfclass != ELFCLASS64)
                return corrupt(err, name, "bad EI_CLASS");
        if (out->data != ELFDATA2LSB && out->data != ELFDATA2MSB)
                return corrupt(err, name, "bad EI_DATA");
        out->machine = eh.e_machine;
        out->type = eh.e_type;
        out->osabi = eh.e_ident[EI_OSABI];

        size_t phnum = 0;
        if (elf_getphdrnum(e, &phnum) != 0)
                return corrupt_libelf(err, name, "program header count");
        if (phnum > ELF_MAX_PHDRS)
                return corrupt(err, name, "too many program headers");
        if ((r = check_extents(e, &eh, phnum, size, name, err)) < 0)
                return r;
        bool have_dynph = false;
        GElf_Phdr dynph = {0};
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(e, (int)i, &ph))
                        return corrupt_libelf(err, name, "program header");
                if (ph.p_type == PT_INTERP) {
                        if ((r = read_interp(e, &ph, name, out, err)) < 0)
                                return r;
                } else if (ph.p_type == PT_DYNAMIC && !have_dynph) {
                        dynph = ph;
                        have_dynph = true;
                }
        }

        r = read_dynamic_sections(e, name, out, err);
        if (r < 0)
                return r;
        if (r == 0 && have_dynph)
                return read_dynamic_segment(e, phnum, &dynph, name, out, err);
        return 0;
}

static int read_from_elf(Elf *e, uint64_t size, const char *name, struct elf_info *out,
                         struct distill_error *err)
{
        if (elf_kind(e) != ELF_K_ELF) {
                /* The magic says ELF (checked by the callers) but libelf cannot even read the
                 * header: truncated. */
                return corrupt_libelf(err, name, "ELF header");
        }
        int r = read_elf(e, size, name, out, err);
        if (r < 0) {
                elf_info_release(out);
                return r;
        }
        return 1;
}

static int libelf_init(struct distill_error *err)
{
        if (elf_version(EV_CURRENT) == EV_NONE)
                return distill_error_set(err, DISTILL_EINTERNAL, "libelf: %s", elf_errmsg(-1));
        return 0;
}

int elf_read_mem(const void *buf, size_t len, const char *name, struct elf_info *out,
                 struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        if (!elf_has_magic(buf, len))
                return 0;
        if (len > ELF_MAX_FILE_SIZE)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: ELF file larger than %llu bytes", name,
                                         (unsigned long long)ELF_MAX_FILE_SIZE);
        int r = libelf_init(err);
        if (r < 0)
                return r;
        /* libelf only reads through this pointer with ELF_C_READ semantics on memory. */
        Elf *e = elf_memory((char *)buf, len);
        if (!e)
                return corrupt_libelf(err, name, "elf_memory");
        r = read_from_elf(e, len, name, out, err);
        elf_end(e);
        return r;
}

/* libelf's handle on a regular file that starts with the ELF magic: 1 and *out (the caller
 * ends it), 0 for anything else, negative with err set. */
static int begin_elf_fd(int fd, const char *name, Elf **out, uint64_t *size,
                        struct distill_error *err)
{
        struct stat st;
        unsigned char magic[SELFMAG];

        *out = NULL;
        if (fstat(fd, &st) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s: fstat", name);
        if (!S_ISREG(st.st_mode))
                return 0;
        ssize_t got = pread(fd, magic, sizeof(magic), 0);
        if (got < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s: read", name);
        if (!elf_has_magic(magic, (size_t)got))
                return 0;
        if ((uint64_t)st.st_size > ELF_MAX_FILE_SIZE)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: ELF file larger than %llu bytes", name,
                                         (unsigned long long)ELF_MAX_FILE_SIZE);
        int r = libelf_init(err);
        if (r < 0)
                return r;
        /* ELF_C_READ copies the bytes: a file truncated by someone else while mapped would
         * otherwise give SIGBUS (docs/architecture.md, "libelf"). */
        *out = elf_begin(fd, ELF_C_READ, NULL);
        if (!*out)
                return corrupt_libelf(err, name, "elf_begin");
        *size = (uint64_t)st.st_size;
        return 1;
}

int elf_read_fd(int fd, const char *name, struct elf_info *out, struct distill_error *err)
{
        Elf *e;
        uint64_t size = 0;

        memset(out, 0, sizeof(*out));
        int r = begin_elf_fd(fd, name, &e, &size, err);
        if (r <= 0)
                return r;
        r = read_from_elf(e, size, name, out, err);
        elf_end(e);
        return r;
}

/* ---- strings of the read-only data ------------------------------------------------------- */

static bool is_string_byte(unsigned char c)
{
        return c >= 0x20 && c < 0x7f;
}

/* The NUL-terminated runs of printable ASCII in [p, p + n). */
static void collect_strings(const char *p, size_t n, size_t min_len, struct strvec *out,
                            size_t *total)
{
        size_t start = 0;
        for (size_t i = 0; i < n && out->n < ELF_MAX_STRINGS; i++) {
                if (is_string_byte((unsigned char)p[i]))
                        continue;
                size_t len = i - start;
                if (p[i] == '\0' && len >= min_len && len <= ELF_MAX_STRING_LEN &&
                    *total + len <= ELF_MAX_STRINGS_BYTES) {
                        strvec_push_nodup(out, xstrndup(p + start, len));
                        *total += len;
                }
                start = i + 1;
        }
}

/* Sections that are loaded, not written and not executed: .rodata and its kin. Without
 * section headers (sstrip'ed objects), the loaded segments that are neither writable nor
 * executable. */
static int strings_from_elf(Elf *e, uint64_t size, const char *name, size_t min_len,
                            struct strvec *out, struct distill_error *err)
{
        size_t raw_size = 0, total = 0;
        const char *raw = elf_rawfile(e, &raw_size);
        if (!raw || raw_size != size)
                return corrupt_libelf(err, name, "elf_rawfile");
        size_t shnum = 0;
        if (elf_getshdrnum(e, &shnum) != 0)
                return corrupt_libelf(err, name, "elf_getshdrnum");
        bool any_section = false;
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh))
                        return corrupt_libelf(err, name, "gelf_getshdr");
                if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC) ||
                    (sh.sh_flags & (SHF_WRITE | SHF_EXECINSTR)))
                        continue;
                any_section = true;
                if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
                        return corrupt(err, name, "read-only section outside the file");
                collect_strings(raw + sh.sh_offset, sh.sh_size, min_len, out, &total);
        }
        if (any_section || shnum > 0)
                return 0;
        size_t phnum = 0;
        if (elf_getphdrnum(e, &phnum) != 0)
                return corrupt_libelf(err, name, "elf_getphdrnum");
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(e, (int)i, &ph))
                        return corrupt_libelf(err, name, "gelf_getphdr");
                if (ph.p_type != PT_LOAD || (ph.p_flags & (PF_W | PF_X)))
                        continue;
                if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
                        return corrupt(err, name, "PT_LOAD outside the file");
                collect_strings(raw + ph.p_offset, ph.p_filesz, min_len, out, &total);
        }
        return 0;
}

int elf_read_strings(int fd, const char *name, size_t min_len, struct strvec *out,
                     struct distill_error *err)
{
        Elf *e;
        uint64_t size = 0;
        int r = begin_elf_fd(fd, name, &e, &size, err);
        if (r <= 0)
                return r;
        r = elf_kind(e) == ELF_K_ELF ? strings_from_elf(e, size, name, min_len, out, err) : 0;
        elf_end(e);
        return r < 0 ? r : 1;
}

/* ---- imported symbols ------------------------------------------------------------------ */

static int find_undefined(Elf *e, const char *name, const char *symbol, struct distill_error *err)
{
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh))
                        return corrupt_libelf(err, name, "gelf_getshdr");
                if (sh.sh_type != SHT_DYNSYM)
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                if (!data)
                        return corrupt_libelf(err, name, "elf_getdata of .dynsym");
                size_t entsize = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
                size_t n = entsize ? data->d_size / entsize : 0;
                for (size_t i = 1; i < n; i++) {
                        GElf_Sym sym;
                        if (!gelf_getsym(data, (int)i, &sym))
                                return corrupt_libelf(err, name, "gelf_getsym");
                        if (sym.st_shndx != SHN_UNDEF || sym.st_name == 0)
                                continue;
                        const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
                        if (s && strcmp(s, symbol) == 0)
                                return 1;
                }
        }
        return 0;
}

int elf_imports_symbol(int fd, const char *name, const char *symbol, struct distill_error *err)
{
        Elf *e;
        uint64_t size = 0;
        int r = begin_elf_fd(fd, name, &e, &size, err);
        if (r <= 0)
                return r;
        r = elf_kind(e) == ELF_K_ELF ? find_undefined(e, name, symbol, err) : 0;
        elf_end(e);
        return r;
}

/* ---- musl evidence ------------------------------------------------------------------------ */

#define ELF_MAX_VERNEED 65536

static bool is_musl_loader(const char *path)
{
        return strncmp(path_basename(path), "ld-musl-", 8) == 0;
}

/* Whether a SHT_GNU_verneed section asks any library for a GLIBC_ version. The chains are
 * walked by offsets from the file: each step must move forward and the count is capped, so a
 * crafted loop ends. */
static int verneed_names_glibc(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
                               bool *glibc, struct distill_error *err)
{
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data)
                return corrupt_libelf(err, name, "elf_getdata of .gnu.version_r");
        size_t off = 0, steps = 0;
        for (size_t i = 0; i < sh->sh_info; i++) {
                GElf_Verneed vn;
                if (!gelf_getverneed(data, (int)off, &vn))
                        return corrupt_libelf(err, name, "version need");
                size_t aux = off + vn.vn_aux;
                for (size_t j = 0; j < vn.vn_cnt; j++) {
                        GElf_Vernaux vna;
                        if (++steps > ELF_MAX_VERNEED)
                                return corrupt(err, name, "too many version needs");
                        if (aux < off || !gelf_getvernaux(data, (int)aux, &vna))
                                return corrupt_libelf(err, name, "version need entry");
                        const char *v = elf_strptr(e, sh->sh_link, vna.vna_name);
                        if (v && strncmp(v, "GLIBC_", 6) == 0) {
                                *glibc = true;
                                return 0;
                        }
                        if (vna.vna_next == 0)
                                break;
                        aux += vna.vna_next;
                }
                if (vn.vn_next == 0)
                        break;
                off += vn.vn_next;
                if (off > data->d_size)
                        return corrupt(err, name, "version need past its section");
        }
        return 0;
}

static int needs_glibc_versions(Elf *e, const char *name, bool *glibc, struct distill_error *err)
{
        *glibc = false;
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh))
                        return corrupt_libelf(err, name, "gelf_getshdr");
                if (sh.sh_type != SHT_GNU_verneed)
                        continue;
                int r = verneed_names_glibc(e, scn, &sh, name, glibc, err);
                if (r < 0 || *glibc)
                        return r;
        }
        return 0;
}

static int musl_evidence_of(Elf *e, const struct elf_info *info, const char *name, char **evidence,
                            struct distill_error *err)
{
        if (info->interp && is_musl_loader(info->interp)) {
                *evidence = xasprintf("PT_INTERP %s", info->interp);
                return 1;
        }
        for (size_t i = 0; i < info->needed.n; i++) {
                const char *n = info->needed.v[i];
                if (strncmp(n, "libc.musl-", 10) == 0 || is_musl_loader(n)) {
                        *evidence = xasprintf("NEEDED %s", n);
                        return 1;
                }
        }
        for (size_t i = 0; i < info->needed.n; i++) {
                if (strcmp(info->needed.v[i], "libc.so") != 0)
                        continue;
                bool glibc = false;
                int r = needs_glibc_versions(e, name, &glibc, err);
                if (r < 0 || glibc)
                        return r;
                *evidence = xstrdup("NEEDED libc.so, musl's libc, and no GLIBC_ version");
                return 1;
        }
        return 0;
}

int elf_musl_evidence(int fd, const char *name, char **evidence, struct distill_error *err)
{
        struct elf_info info;
        Elf *e;
        uint64_t size = 0;

        *evidence = NULL;
        memset(&info, 0, sizeof(info));
        int r = begin_elf_fd(fd, name, &e, &size, err);
        if (r <= 0)
                return r;
        r = read_from_elf(e, size, name, &info, err);
        if (r > 0)
                r = musl_evidence_of(e, &info, name, evidence, err);
        elf_info_release(&info);
        elf_end(e);
        return r;
}
