// YAML to argdata (spec/argdata.md) plus descriptors (cloudabi-run.1,
// "YAML TAGS"). Tags are resolved through one table, so adding a tag is one
// handler and one row.
#include "cli/yaml_config.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "abi/types.h"
#include "cli/argdata_encoder.h"
#include "cli/fd_rights.h"
#include "cli/fd_table.h"
#include "cli/socket_open.h"
#include "cli/yaml_scalar.h"
#include "hostio/fd_table.h"
#include "rights/rights.h"

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
  ~Converter() { close_acceptors(&acceptors_); }  // unless released

  Bytes convert(const YAML::Node& node, unsigned depth);
  FdTable& fds() { return fds_; }
  void add_acceptor(Acceptor a) { acceptors_.push_back(std::move(a)); }
  std::vector<Acceptor> release_acceptors() {
    std::vector<Acceptor> out = std::move(acceptors_);
    acceptors_.clear();
    return out;
  }
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
  std::vector<Acceptor> acceptors_;
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

// ---- Rights: `mode: ro|rw` and `rights:` ---------------------------------

std::string type_name(uint8_t filetype) {
  const char* n = abi::filetype_name(filetype);
  return n ? n : "unknown";
}

struct RightsRequest {
  bool given = false;
  bool list_form = false;  // a list: base and inheriting alike
  struct Named {
    abi::Rights bits;
    bool all;
    YAML::Node at;
  };
  std::vector<Named> base, inheriting;  // the list form fills base only
  YAML::Node node;
};

std::vector<RightsRequest::Named> right_names(const YAML::Node& list) {
  if (!list.IsSequence())
    fail(list, "rights takes a list of right names ([fd_read, file_open]) or a map "
               "{base: [...], inheriting: [...]}");
  std::vector<RightsRequest::Named> out;
  for (const auto& item : list) {
    const std::string& name = scalar_of(item, "a right name");
    abi::Rights bits = 0;
    if (name == "all") {
      out.push_back({0, true, item});
      continue;
    }
    if (name.empty() || name == "none" || !rights::parse(name, &bits))
      fail(item, "unknown right '" + name + "' (names as in cloudabi.txt: fd_read, file_open, ...)");
    out.push_back({bits, false, item});
  }
  return out;
}

RightsRequest parse_rights(const YAML::Node& node) {
  RightsRequest r;
  r.given = true;
  r.node = node;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string& key = scalar_of(kv.first, "rights attribute name");
      if (key == "base") r.base = right_names(kv.second);
      else if (key == "inheriting") r.inheriting = right_names(kv.second);
      else fail(kv.first, "unknown rights attribute '" + key + "' (base, inheriting)");
    }
    return r;
  }
  r.list_form = true;
  r.base = right_names(node);
  return r;
}

// The rights of a descriptor of `filetype`: the mode's set, or the
// explicit request checked against it.
rights::RightsPair resolve_rights(uint8_t filetype, bool rw, const RightsRequest& req) {
  const rights::RightsPair allowed = mode_rights(filetype, rw);
  if (!req.given) return allowed;
  const rights::RightsPair any_mode = mode_rights(filetype, true);
  auto refuse = [&](const RightsRequest::Named& n, abi::Rights missing, bool inheriting) {
    abi::Rights bit = missing & (~missing + 1);  // lowest
    const std::string name = rights::format(bit);
    const abi::Rights mode_max = inheriting ? any_mode.inheriting
                                            : (req.list_form ? any_mode.base | any_mode.inheriting
                                                             : any_mode.base);
    if (!rw && (mode_max & bit))
      fail(n.at, "right " + name + " needs mode: rw");
    fail(n.at, "right " + name + " does not apply to " +
                   std::string(inheriting ? "the inheriting rights of " : "") + "a " +
                   type_name(filetype));
  };
  rights::RightsPair out;
  if (req.list_form) {
    for (const auto& n : req.base) {
      if (n.all) {
        out = allowed;
        continue;
      }
      if (abi::Rights missing = n.bits & ~(allowed.base | allowed.inheriting))
        refuse(n, missing, false);
      out.base |= n.bits & allowed.base;
      out.inheriting |= n.bits & allowed.inheriting;
    }
    return out;
  }
  for (const auto& n : req.base) {
    if (n.all) { out.base = allowed.base; continue; }
    if (abi::Rights missing = n.bits & ~allowed.base) refuse(n, missing, false);
    out.base |= n.bits;
  }
  for (const auto& n : req.inheriting) {
    if (n.all) { out.inheriting = allowed.inheriting; continue; }
    if (abi::Rights missing = n.bits & ~allowed.inheriting) refuse(n, missing, true);
    out.inheriting |= n.bits;
  }
  return out;
}

uint8_t filetype_of(int fd, const YAML::Node& at) {
  uint8_t type = abi::FILETYPE_UNKNOWN;
  if (hostio::host_filetype(fd, &type) != abi::E_SUCCESS || type == abi::FILETYPE_UNKNOWN) {
    close(fd);
    fail(at, "cannot give the guest this kind of file (no CloudABI file type for it)");
  }
  return type;
}

// ---- Attributes of !file and !socket -------------------------------------------

struct ResourceSpec {
  std::optional<std::string> path;
  std::optional<bool> rw;
  YAML::Node mode_at;
  RightsRequest rights;
  std::optional<std::string> bind, connect;
  YAML::Node address_at;
  std::optional<SocketType> type;
};

using Attribute = void (*)(const YAML::Node& value, ResourceSpec& spec);

std::string text_attribute(const YAML::Node& value, const char* what) {
  const std::string& p = scalar_of(value, what);
  if (p.empty()) fail(value, std::string(what) + " must not be empty");
  if (p.find('\0') != std::string::npos) fail(value, std::string(what) + " contains a null byte");
  return p;
}

void attr_path(const YAML::Node& v, ResourceSpec& s) { s.path = text_attribute(v, "path"); }
void attr_mode(const YAML::Node& v, ResourceSpec& s) {
  const std::string& m = scalar_of(v, "mode");
  if (m == "ro") s.rw = false;
  else if (m == "rw") s.rw = true;
  else fail(v, "mode takes ro or rw, not '" + m + "'");
  s.mode_at = v;
}
void attr_rights(const YAML::Node& v, ResourceSpec& s) { s.rights = parse_rights(v); }
void attr_bind(const YAML::Node& v, ResourceSpec& s) {
  s.bind = text_attribute(v, "bind");
  s.address_at = v;
}
void attr_connect(const YAML::Node& v, ResourceSpec& s) {
  s.connect = text_attribute(v, "connect");
  s.address_at = v;
}
void attr_type(const YAML::Node& v, ResourceSpec& s) {
  const std::string& t = scalar_of(v, "type");
  if (t == "stream") s.type = SocketType::kStream;
  else if (t == "dgram") s.type = SocketType::kDgram;
  else if (t == "seqpacket") s.type = SocketType::kSeqpacket;
  else fail(v, "type takes stream, dgram or seqpacket, not '" + t + "'");
}

struct AttributeRow {
  std::string_view name;
  Attribute apply;
};
const AttributeRow kFileAttributes[] = {
    {"path", attr_path}, {"mode", attr_mode}, {"rights", attr_rights}};
const AttributeRow kSocketAttributes[] = {{"bind", attr_bind},  {"connect", attr_connect},
                                          {"type", attr_type},  {"mode", attr_mode},
                                          {"rights", attr_rights}};

template <size_t N>
ResourceSpec parse_attributes(const YAML::Node& node, const char* tag,
                              const AttributeRow (&table)[N]) {
  if (!node.IsMap()) {
    std::string names;
    for (const auto& row : table) names += (names.empty() ? "" : ", ") + std::string(row.name);
    fail(node, std::string(tag) + " takes a map with attributes " + names);
  }
  ResourceSpec spec;
  std::vector<std::string> seen;
  for (const auto& kv : node) {
    const std::string& key = scalar_of(kv.first, "attribute name");
    const AttributeRow* row = nullptr;
    for (const auto& r : table)
      if (key == r.name) row = &r;
    if (row == nullptr) fail(kv.first, "unknown " + std::string(tag) + " attribute '" + key + "'");
    for (const auto& s : seen)
      if (s == key) fail(kv.first, "attribute '" + key + "' given twice");
    seen.push_back(key);
    row->apply(kv.second, spec);
  }
  return spec;
}

std::string mode_text(bool rw, const RightsRequest& r) {
  return std::string(rw ? "rw" : "ro") + (r.given ? ", explicit rights" : "");
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
  FdInfo info;
  if (hostio::host_filetype(host, &info.filetype) != abi::E_SUCCESS)
    fail(node, "!fd " + v + ": descriptor " + std::to_string(host) + " is not open");
  // cloudabi-run gave the type's maximum; capvm also drops what the host
  // descriptor's access mode rules out (stdout opened write-only cannot be
  // read), so `explain` shows what the guest can really do.
  rights::RightsPair r{rights::max_base(info.filetype), rights::max_inheriting(info.filetype)};
  const int accmode = fcntl(host, F_GETFL) & O_ACCMODE;
  if (info.filetype != abi::FILETYPE_DIRECTORY) {
    if (accmode == O_RDONLY) r.base &= ~kWriteRights;
    if (accmode == O_WRONLY)
      r.base &= ~(abi::RIGHT_FD_READ | abi::RIGHT_MEM_MAP | abi::RIGHT_MEM_MAP_EXEC |
                  abi::RIGHT_PROC_EXEC);
  }
  info.rights_base = r.base;
  info.rights_inheriting = r.inheriting;
  info.origin = "!fd " + v + " (host fd " + std::to_string(host) + ")";
  return argdata::fd(cv.fds().add_inherited(host, info));
}

// ---- !file {path: P, mode: ro|rw, rights: [...]} ----------------------------

Bytes tag_file(const YAML::Node& node, Converter& cv, unsigned) {
  ResourceSpec spec = parse_attributes(node, "!file", kFileAttributes);
  if (!spec.path) fail(node, "!file has no path attribute");
  const bool rw = spec.rw.value_or(false);
  const int common = O_CLOEXEC | O_NOCTTY;
  int fd = open(spec.path->c_str(), (rw ? O_RDWR : O_RDONLY) | common);
  // A directory is never opened for writing; its rights say what may change.
  if (fd < 0 && rw && errno == EISDIR) fd = open(spec.path->c_str(), O_RDONLY | O_DIRECTORY | common);
  if (fd < 0) fail(node, "cannot open " + *spec.path + ": " + std::strerror(errno));
  FdInfo info;
  info.filetype = filetype_of(fd, node);
  rights::RightsPair r;
  try {
    r = resolve_rights(info.filetype, rw, spec.rights);
  } catch (...) {
    close(fd);
    throw;
  }
  info.rights_base = r.base;
  info.rights_inheriting = r.inheriting;
  info.origin = "!file " + *spec.path + " (" + mode_text(rw, spec.rights) + ")";
  return argdata::fd(cv.fds().add_owned(fd, info));
}

// ---- !socket {bind|connect: ADDR, type:, mode:, rights:} ----------------------

Bytes tag_socket(const YAML::Node& node, Converter& cv, unsigned) {
  ResourceSpec spec = parse_attributes(node, "!socket", kSocketAttributes);
  if (spec.bind.has_value() == spec.connect.has_value())
    fail(node, "!socket takes exactly one of bind: ADDR (a server) or connect: ADDR (a client)");
  SocketRequest req;
  req.bind = spec.bind.has_value();
  req.address = req.bind ? *spec.bind : *spec.connect;
  req.type = spec.type.value_or(SocketType::kStream);
  const char* type_text = req.type == SocketType::kStream ? "stream"
                          : req.type == SocketType::kDgram ? "dgram" : "seqpacket";
  const bool listener = req.bind && req.type != SocketType::kDgram;
  if (listener && spec.rights.given)
    fail(spec.rights.node,
         "rights do not apply to a listening socket: the guest only receives connections "
         "from it (mode: ro|rw says what it may do with them)");
  std::string resolved, error;
  const int sock = open_socket(req, &resolved, &error);
  if (sock < 0) fail(spec.address_at, error);
  FdInfo info;
  if (listener) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      close(sock);
      fail(node, std::string("cannot create a socket pair: ") + std::strerror(errno));
    }
    cv.add_acceptor({sock, pair[1], resolved});
    info.filetype = abi::FILETYPE_SOCKET_STREAM;
    // The source itself only receives. Its inheriting rights are what the
    // accepted connections may get (mode rw: read and write; ro: read),
    // once the rights model lets a socket pass rights on (max_inheriting);
    // until then they are empty and hostio decides alone.
    const bool conn_rw = spec.rw.value_or(true);
    info.rights_base = mode_rights(info.filetype, false).base;
    info.rights_inheriting = mode_rights(info.filetype, conn_rw).base &
                             rights::max_inheriting(abi::FILETYPE_SOCKET_STREAM);
    info.origin = "!socket bind " + resolved + " " + type_text + " (" +
                  (conn_rw ? "rw" : "ro") +
                  "): connection source, each sock_recv yields one accepted connection";
    return argdata::fd(cv.fds().add_owned(pair[0], info));
  }
  const bool rw = spec.rw.value_or(true);
  info.filetype = filetype_of(sock, node);
  rights::RightsPair r;
  try {
    r = resolve_rights(info.filetype, rw, spec.rights);
  } catch (...) {
    close(sock);
    throw;
  }
  info.rights_base = r.base;
  info.rights_inheriting = r.inheriting;
  info.origin = "!socket " + std::string(req.bind ? "bind " : "connect ") + resolved + " " +
                type_text + " (" + mode_text(rw, spec.rights) + ")";
  return argdata::fd(cv.fds().add_owned(sock, info));
}

// ---- !executable: the program itself, read-only ---------------------------

Bytes tag_executable(const YAML::Node& node, Converter& cv, unsigned) {
  if (!node.IsNull() && !(node.IsScalar() && node.Scalar().empty()))
    fail(node, "!executable takes no value");
  const std::string& path = cv.context().program_path;
  if (path.empty()) fail(node, "!executable needs the program: capvm explain CONFIG PROGRAM");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail(node, "cannot open " + path + ": " + std::strerror(errno));
  FdInfo info;
  info.filetype = filetype_of(fd, node);
  rights::RightsPair r = mode_rights(info.filetype, false);
  info.rights_base = r.base;
  info.rights_inheriting = r.inheriting;
  info.origin = "!executable " + path;
  return argdata::fd(cv.fds().add_owned(fd, info));
}

// ---- Tags of cloudabi-run that capvm replaces -------------------------------

Bytes tag_flower(const YAML::Node& node, Converter&, unsigned) {
  fail(node, "!flower_switchboard_handle: capvm has no Flower switchboard; give a server its "
             "listening socket with !socket {bind: ADDR} (connections arrive through "
             "sock_recv) and a client !socket {connect: ADDR}");
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

Bytes tag_timestamp(const YAML::Node& node, Converter&, unsigned) {
  std::string error;
  auto v = core_timestamp(scalar_of(node, "!!timestamp"), &error);
  return checked(node, std::move(v), error, "timestamp");
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
    {"socket", true, true, tag_socket},
    {"flower_switchboard_handle", true, true, tag_flower},
    {"str", false, false, tag_str},
    {"null", false, false, tag_null},
    {"bool", false, false, tag_bool},
    {"int", false, false, tag_int},
    {"float", false, false, tag_float},
    {"binary", false, false, tag_binary},
    {"timestamp", false, false, tag_timestamp},
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
    if (!cv.fds().release(&config.fds, &config.fd_info, &err)) {
      set_error(error, std::string("cannot duplicate a descriptor: ") + std::strerror(err),
                YAML::Mark::null_mark());
      return false;
    }
    config.acceptors = cv.release_acceptors();
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
