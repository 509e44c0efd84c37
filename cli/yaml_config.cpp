// YAML to argdata (spec/argdata.md) plus descriptors (cloudabi-run.1,
// "YAML TAGS"). Tags are resolved through one table, so adding a tag is one
// handler and one row.
#include "cli/yaml_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "cli/argdata_encoder.h"
#include "cli/fd_table.h"
#include "cli/yaml_scalar.h"

namespace capvm::cli {
namespace {

using argdata::Bytes;

// The tag prefix the configuration's `%TAG ! tag:nuxi.nl,2015:cloudabi/`
// directive maps `!` to (cloudabi-run.1, "YAML TAGS").
constexpr std::string_view kCloudAbiPrefix = "tag:nuxi.nl,2015:cloudabi/";
constexpr std::string_view kYamlPrefix = "tag:yaml.org,2002:";

struct Failure {
  std::string message;
  YAML::Mark mark;
};

[[noreturn]] void fail(const YAML::Node& at, std::string message) {
  throw Failure{std::move(message), at.Mark()};
}

std::string display_tag(const std::string& tag) {
  if (tag.compare(0, kCloudAbiPrefix.size(), kCloudAbiPrefix) == 0)
    return "!" + tag.substr(kCloudAbiPrefix.size());
  if (tag.compare(0, kYamlPrefix.size(), kYamlPrefix) == 0)
    return "!!" + tag.substr(kYamlPrefix.size());
  return tag;
}

class Converter {
 public:
  explicit Converter(const ConfigContext& context) : context_(context) {}

  Bytes convert(const YAML::Node& node, unsigned depth);
  FdTable& fds() { return fds_; }
  const ConfigContext& context() const { return context_; }

  // One guest number per resource node, even when an alias repeats it.
  std::optional<uint32_t> cached_fd(const YAML::Node& node) const {
    for (const auto& [n, fd] : resource_nodes_)
      if (n.is(node)) return fd;
    return std::nullopt;
  }
  void remember_fd(const YAML::Node& node, uint32_t fd) { resource_nodes_.emplace_back(node, fd); }

  Bytes charge(const YAML::Node& at, Bytes value) {
    total_bytes_ += value.size();
    if (total_bytes_ > context_.limits.max_bytes)
      fail(at, "configuration expands to more than " +
                   std::to_string(context_.limits.max_bytes) + " bytes of argdata");
    return value;
  }

 private:
  Bytes convert_untagged(const YAML::Node& node, unsigned depth);
  Bytes convert_seq(const YAML::Node& node, unsigned depth);
  Bytes convert_map(const YAML::Node& node, unsigned depth);

  const ConfigContext& context_;
  FdTable fds_;
  std::vector<std::pair<YAML::Node, uint32_t>> resource_nodes_;
  size_t nodes_ = 0;
  size_t total_bytes_ = 0;
};

const std::string& scalar_of(const YAML::Node& node, const char* what) {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be a scalar");
  return node.Scalar();
}

Bytes checked(const YAML::Node& node, std::optional<Bytes> value, const std::string& error,
              const char* type) {
  if (value) return *std::move(value);
  fail(node, error.empty() ? "'" + node.Scalar() + "' is not a valid " + type : error);
}

// ---- !fd: a descriptor capvm inherited ------------------------------------

Bytes tag_fd(const YAML::Node& node, Converter& cv, unsigned) {
  const std::string& v = scalar_of(node, "!fd");
  int host;
  if (v == "stdout") {
    host = STDOUT_FILENO;
  } else if (v == "stderr") {
    host = STDERR_FILENO;
  } else if (v == "stdin") {
    host = STDIN_FILENO;
  } else {
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
      fail(node, "!fd takes a descriptor number, stdin, stdout or stderr, not '" + v + "'");
    host = std::stoi(v);
  }
  if (host == STDIN_FILENO && !cv.context().stdin_available)
    fail(node, "!fd stdin is not available: the configuration is read from stdin "
               "(use --config FILE)");
  if (cv.fds().is_owned(host) || fcntl(host, F_GETFD) < 0)
    fail(node, "!fd " + v + ": descriptor " + std::to_string(host) + " is not open");
  return argdata::fd(cv.fds().add_inherited(host));
}

// ---- !file {path: P}: a file or directory opened read-only ----------------

struct FileSpec {
  std::optional<std::string> path;
};

using FileAttribute = void (*)(const YAML::Node& value, FileSpec& spec);

// The attributes of !file; `mode:` and `rights:` become rows here.
const std::pair<std::string_view, FileAttribute> kFileAttributes[] = {
    {"path",
     [](const YAML::Node& value, FileSpec& spec) {
       const std::string& p = scalar_of(value, "path");
       if (p.empty()) fail(value, "path must not be empty");
       if (p.find('\0') != std::string::npos) fail(value, "path contains a null byte");
       spec.path = p;
     }},
};

int open_read_only(const std::string& path, const YAML::Node& at) {
  // Directories are opened O_DIRECTORY: the guest resolves paths beneath them.
  struct stat st;
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) flags |= O_DIRECTORY;
  int fd = open(path.c_str(), flags);
  if (fd < 0) fail(at, "cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

Bytes tag_file(const YAML::Node& node, Converter& cv, unsigned) {
  if (!node.IsMap()) fail(node, "!file takes a map with a path attribute");
  FileSpec spec;
  for (const auto& kv : node) {
    const std::string& key = scalar_of(kv.first, "!file attribute name");
    bool known = false;
    for (const auto& [name, apply] : kFileAttributes) {
      if (key == name) {
        apply(kv.second, spec);
        known = true;
        break;
      }
    }
    if (!known) fail(kv.first, "unknown !file attribute '" + key + "'");
  }
  if (!spec.path) fail(node, "!file has no path attribute");
  return argdata::fd(cv.fds().add_owned(open_read_only(*spec.path, node)));
}

// ---- !executable: the program itself, read-only ---------------------------

Bytes tag_executable(const YAML::Node& node, Converter& cv, unsigned) {
  if (!node.IsNull() && !(node.IsScalar() && node.Scalar().empty()))
    fail(node, "!executable takes no value");
  return argdata::fd(cv.fds().add_owned(open_read_only(cv.context().program_path, node)));
}

// ---- YAML's own tags --------------------------------------------------------

Bytes tag_str(const YAML::Node& node, Converter&, unsigned) {
  if (node.IsNull()) return argdata::string("");
  std::string error;
  auto v = utf8_string(scalar_of(node, "!!str"), &error);
  return checked(node, std::move(v), error, "string");
}
Bytes tag_null(const YAML::Node& node, Converter&, unsigned) {
  if (node.IsNull()) return argdata::null();
  return checked(node, core_null(scalar_of(node, "!!null")), "", "null");
}
Bytes tag_bool(const YAML::Node& node, Converter&, unsigned) {
  return checked(node, core_bool(scalar_of(node, "!!bool")), "", "bool");
}
Bytes tag_int(const YAML::Node& node, Converter&, unsigned) {
  std::string error;
  auto v = core_int(scalar_of(node, "!!int"), &error);
  return checked(node, std::move(v), error, "int");
}
Bytes tag_float(const YAML::Node& node, Converter&, unsigned) {
  const std::string& s = scalar_of(node, "!!float");
  if (auto v = core_float(s)) return *v;
  std::string error;
  // An integer literal is a valid float too (`!!float 3`).
  if (auto v = core_int(s, &error); v && s.size() < 400)
    return argdata::float64(std::strtod(s.c_str(), nullptr));
  return checked(node, std::nullopt, "", "float");
}
Bytes tag_binary(const YAML::Node& node, Converter&, unsigned) {
  std::string error;
  auto v = base64_binary(scalar_of(node, "!!binary"), &error);
  return checked(node, std::move(v), error, "binary");
}

using TagHandler = Bytes (*)(const YAML::Node&, Converter&, unsigned depth);
struct TagRow {
  std::string_view suffix;  // after kCloudAbiPrefix or kYamlPrefix
  bool cloudabi;
  bool resource;  // yields a descriptor: one guest fd per node, even aliased
  TagHandler handler;
};

const TagRow kTags[] = {
    {"fd", true, true, tag_fd},
    {"file", true, true, tag_file},
    {"executable", true, true, tag_executable},
    {"str", false, false, tag_str},
    {"null", false, false, tag_null},
    {"bool", false, false, tag_bool},
    {"int", false, false, tag_int},
    {"float", false, false, tag_float},
    {"binary", false, false, tag_binary},
};

const TagRow* find_tag(const std::string& tag) {
  for (const TagRow& row : kTags) {
    std::string_view prefix = row.cloudabi ? kCloudAbiPrefix : kYamlPrefix;
    if (tag.size() == prefix.size() + row.suffix.size() &&
        tag.compare(0, prefix.size(), prefix) == 0 &&
        tag.compare(prefix.size(), std::string::npos, row.suffix) == 0)
      return &row;
  }
  return nullptr;
}

Bytes Converter::convert(const YAML::Node& node, unsigned depth) {
  if (++nodes_ > context_.limits.max_nodes)
    fail(node, "configuration has more than " + std::to_string(context_.limits.max_nodes) +
                   " nodes (after expanding aliases)");
  if (depth > context_.limits.max_depth) fail(node, "configuration is nested too deeply");

  const std::string& tag = node.Tag();
  // yaml-cpp: "?" is a plain (untagged) node, "!" a quoted scalar or the
  // non-specific tag, "" a null.
  if (tag.empty() || tag == "?" || tag == "!") return convert_untagged(node, depth);
  if (tag.compare(0, kYamlPrefix.size(), kYamlPrefix) == 0) {
    const std::string_view suffix = std::string_view(tag).substr(kYamlPrefix.size());
    if (suffix == "seq" && node.IsSequence()) return convert_seq(node, depth);
    if (suffix == "map" && node.IsMap()) return convert_map(node, depth);
  }
  const TagRow* row = find_tag(tag);
  if (row == nullptr)
    fail(node, "unknown tag " + display_tag(tag) +
                   (tag.compare(0, 1, "!") == 0
                        ? " (missing %TAG ! tag:nuxi.nl,2015:cloudabi/ ?)"
                        : ""));
  if (!row->resource) {
    if (!node.IsScalar() && !node.IsNull())
      fail(node, display_tag(tag) + " applies to scalars only");
    return charge(node, row->handler(node, *this, depth));
  }
  if (auto cached = cached_fd(node)) return argdata::fd(*cached);
  const size_t before = fds_.size();
  Bytes value = charge(node, row->handler(node, *this, depth));
  if (fds_.size() != before) remember_fd(node, static_cast<uint32_t>(fds_.size() - 1));
  return value;
}

Bytes Converter::convert_untagged(const YAML::Node& node, unsigned depth) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return argdata::null();
    case YAML::NodeType::Scalar: {
      std::string error;
      std::optional<Bytes> v;
      // Quoted scalars (tag "!") are strings; plain ones are resolved.
      if (node.Tag() == "!")
        v = utf8_string(node.Scalar(), &error);
      else
        v = resolve_plain(node.Scalar(), &error);
      if (!v) fail(node, error);
      return charge(node, *std::move(v));
    }
    case YAML::NodeType::Sequence:
      return convert_seq(node, depth);
    case YAML::NodeType::Map:
      return convert_map(node, depth);
  }
  fail(node, "unsupported YAML node");
}

Bytes Converter::convert_seq(const YAML::Node& node, unsigned depth) {
  std::vector<Bytes> elements;
  for (const auto& child : node) elements.push_back(convert(child, depth + 1));
  return charge(node, argdata::seq(elements));
}

Bytes Converter::convert_map(const YAML::Node& node, unsigned depth) {
  std::vector<std::pair<Bytes, Bytes>> entries;
  for (const auto& kv : node) {
    Bytes key = convert(kv.first, depth + 1);
    entries.emplace_back(std::move(key), convert(kv.second, depth + 1));
  }
  return charge(node, argdata::map(entries));
}

void set_error(ConfigError* error, std::string message, const YAML::Mark& mark) {
  if (!error) return;
  error->message = std::move(message);
  error->line = mark.is_null() ? 0 : mark.line + 1;
  error->column = mark.is_null() ? 0 : mark.column + 1;
}

}  // namespace

std::string ConfigError::describe() const {
  if (line <= 0) return message;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

bool load_config(std::string_view yaml, const ConfigContext& context, Config* out,
                 ConfigError* error) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml));
    if (docs.size() > 1) {
      set_error(error, "more than one YAML document", docs[1].Mark());
      return false;
    }
    Converter cv(context);
    Config config;
    if (!docs.empty()) config.argdata = cv.convert(docs[0], 0);
    int err = 0;
    if (!cv.fds().release(&config.fds, &err)) {
      set_error(error, std::string("cannot duplicate a descriptor: ") + std::strerror(err),
                YAML::Mark::null_mark());
      return false;
    }
    *out = std::move(config);
    return true;
  } catch (const Failure& f) {
    set_error(error, f.message, f.mark);
  } catch (const YAML::Exception& e) {
    set_error(error, e.msg, e.mark);
  } catch (const std::bad_alloc&) {
    set_error(error, "out of memory", YAML::Mark::null_mark());
  }
  return false;
}

}  // namespace capvm::cli
