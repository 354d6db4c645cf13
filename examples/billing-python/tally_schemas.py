"""Check Tally message bodies against the JSON Schemas in queues/schemas with jsonschema.

A tracker or billing team can use it in its own tests:

    schemas = TallySchemas("queues/schemas")
    problems = schemas.problems("incident.redeemed", body_bytes)   # [] when valid

or from the command line:

    python tally_schemas.py validate ROUTING_KEY FILE
    python tally_schemas.py check-all --queues DIR [--scenario FILE] [--results FILE ...]

`check-all` is what ops/tests/interop.sh runs. It prints one "ok   ...", "FAIL ..." or
"skip ..." line per check.

The schemas (draft 2020-12) state the shape of each body. Tally's decoder is stricter than the
schemas in a few places, and this module reports those separately:
- Python's json module accepts NaN and Infinity, repeated keys, lone surrogate escapes such as
  "\\ud800" and any nesting depth; Tally rejects all four as invalid_json (nesting over 64).
- JSON Schema's integer type accepts 1.0 and 1e3; Tally wants integer literals.
- Properties and routing keys are not in the body at all: a missing or over-long message_id, an
  unknown routing key, an unsupported content type and a body over the size limit.
"""

import argparse
import json
import os
import re
import sys

import jsonschema

COMMAND_KINDS = ("issue.create", "incident.redeem", "incident.unredeem", "incident.update")
MAXIMUM_NESTING = 64
DEFAULT_MAXIMUM_BODY_SIZE = 65_536
MAXIMUM_MESSAGE_ID_CHARACTERS = 128

# Reasons that lie outside the body's shape; missing_field and invalid_field are the schema's.
SYNTAX_REASONS = {"invalid_utf8", "invalid_json"}
PROPERTY_REASONS = {
    "missing_message_id", "invalid_message_id", "unknown_routing_key",
    "unsupported_content_type", "body_too_large",
}


class StrictJSONError(ValueError):
    """A body that Python's json module reads but Tally's decoder rejects, or that is not JSON."""


def _reject_constant(name):
    raise StrictJSONError(f"{name} is not JSON")


def _reject_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise StrictJSONError(f"repeated key {repeated[0]!r}")
    return dict(pairs)


def _check_strings_and_depth(value, depth=1):
    if depth > MAXIMUM_NESTING:
        raise StrictJSONError(f"nested deeper than {MAXIMUM_NESTING} levels")
    if isinstance(value, str):
        _check_string(value)
    elif isinstance(value, list):
        for element in value:
            _check_strings_and_depth(element, depth + 1)
    elif isinstance(value, dict):
        for key, element in value.items():
            _check_string(key)
            _check_strings_and_depth(element, depth + 1)


def _check_string(text):
    # json.loads turns the escape "\ud800" into a lone surrogate, which is no Unicode scalar.
    if any(0xD800 <= ord(character) <= 0xDFFF for character in text):
        raise StrictJSONError("a lone surrogate escape")


def parse_strict(body):
    """Parse a body as Tally's decoder does: UTF-8 without a byte order mark, one JSON value,
    no NaN or Infinity, no repeated key, no lone surrogate, at most 64 levels deep.

    Raises StrictJSONError (with the reason invalid_utf8 or invalid_json in `reason`).
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raised = StrictJSONError(f"not UTF-8: {error.reason} at byte {error.start}")
        raised.reason = "invalid_utf8"
        raise raised from None
    try:
        if text.startswith("\ufeff"):
            raise StrictJSONError("a byte order mark before the JSON value")
        value = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_reject_repeated_keys)
        _check_strings_and_depth(value)
    except (StrictJSONError, json.JSONDecodeError, RecursionError) as error:
        raised = StrictJSONError(str(error) or type(error).__name__)
        raised.reason = "invalid_json"
        raise raised from None
    return value


class TallySchemas:
    """The schemas of one queues/schemas folder, by routing key."""

    def __init__(self, folder):
        self.by_routing_key = {}
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".schema.json"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                schema = json.load(file)
            validator_class = jsonschema.validators.validator_for(schema)
            validator_class.check_schema(schema)
            routing_key = name[: -len(".schema.json")]
            # FORMAT_CHECKER asserts "format": "date-time" (with rfc3339-validator installed).
            self.by_routing_key[routing_key] = validator_class(
                schema, format_checker=validator_class.FORMAT_CHECKER)

    def errors(self, routing_key, value):
        """Return the schema errors of a parsed body, sorted by path."""
        validator = self.by_routing_key[routing_key]
        return sorted(validator.iter_errors(value), key=lambda error: list(error.path))

    def problems(self, routing_key, body):
        """Return one line per problem of a body (bytes or str); empty when it is valid."""
        if routing_key not in self.by_routing_key:
            return [f"no schema for routing key {routing_key!r}"]
        try:
            value = parse_strict(body)
        except StrictJSONError as error:
            return [f"{error.reason}: {error}"]
        return [f"{json_path(error) or '(root)'}: {error.message}" for error in self.errors(routing_key, value)]


def json_path(error):
    """Return an error's location as x-tally-field writes it, such as incident_types[2]."""
    path = ""
    for part in error.path:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = part
    return path


def field_of(error):
    """Return the field a schema error is about: for `required`, the missing property."""
    if error.validator == "required":
        match = re.match(r"'(.*)' is a required property", error.message)
        name = match.group(1) if match else "?"
        prefix = json_path(error)
        return f"{prefix}.{name}" if prefix else name
    return json_path(error)


# --- check-all ------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.failures = 0

    def ok(self, name):
        print("ok   " + name)

    def fail(self, name, *details):
        self.failures += 1
        print("FAIL " + name)
        for detail in details:
            print("     " + str(detail))

    def check(self, name, problems):
        if problems:
            self.fail(name, *problems)
        else:
            self.ok(name)


def read_bytes(path):
    with open(path, "rb") as file:
        return file.read()


def check_examples(report, schemas, queues):
    """Check that every example in queues/examples/manifest.json validates against its schema."""
    folder = os.path.join(queues, "examples")
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as file:
        manifest = json.load(file)
    entries = manifest["commands"] + manifest["results"]
    listed = {entry["file"] for entry in entries}
    unlisted = sorted(name for name in os.listdir(folder)
                      if name.endswith(".json") and name != "manifest.json" and name not in listed)
    report.check("every file in queues/examples is listed in its manifest", unlisted)

    problems = []
    for entry in entries:
        for problem in schemas.problems(entry["routing_key"], read_bytes(os.path.join(folder, entry["file"]))):
            problems.append(f"{entry['file']}: {problem}")
    report.check(f"all {len(entries)} examples in queues/examples validate against their schemas", problems)


def check_scenario(report, schemas, scenario):
    """Check that the tracker's well-formed commands validate and its deliberate mistakes do not."""
    with open(scenario, encoding="utf-8") as file:
        commands = json.load(file)["commands"]
    valid, problems = 0, []
    for command in commands:
        key = command["routing_key"]
        if key in COMMAND_KINDS:
            found = schemas.problems(key, json.dumps(command["body"]))
        else:
            found = [f"{key!r} is not a command routing key"]
        mistake = "note" in command and "a mistake" in command["note"]
        if mistake and not found:
            problems.append(f"{command['message_id']}: a mistake, but valid against the {key} schema")
        elif not mistake and found:
            problems.append(f"{command['message_id']}: {found}")
        valid += 0 if found else 1
    report.check(f"the tracker scenario's {valid} well-formed commands validate and its mistakes do not",
                 problems)


def check_results(report, schemas, result_files):
    """Check that every result the worker published in the test validates against its schema."""
    problems, count = [], 0
    for path in result_files:
        with open(path, encoding="utf-8") as file:
            for line in file:
                if not line.strip():
                    continue
                record = json.loads(line)
                count += 1
                for problem in schemas.problems(record["routing_key"], record["body"]):
                    problems.append(f"{record['message_id']}: {problem}")
    if count == 0:
        problems.append("no results were recorded")
    report.check(f"all {count} results received in the test validate against their schemas", problems)


def expected_property_reason(entry, body):
    """Return the reason of the first failing property check, in the decoder's order, or None."""
    message_id = entry.get("message_id")
    if not message_id:
        return "missing_message_id"
    if len(message_id) > MAXIMUM_MESSAGE_ID_CHARACTERS:
        return "invalid_message_id"
    if entry["routing_key"] not in COMMAND_KINDS:
        return "unknown_routing_key"
    content_type = entry.get("content_type")
    if content_type:
        media_type, *parameters = [part.strip().lower() for part in content_type.split(";")]
        charset_ok = all(parameter.replace(" ", "") in ("charset=utf-8", 'charset="utf-8"', "charset=utf8")
                         for parameter in parameters)
        if media_type != "application/json" or not charset_ok:
            return "unsupported_content_type"
    if len(body) > entry.get("maximum_body_size", DEFAULT_MAXIMUM_BODY_SIZE):
        return "body_too_large"
    return None


def classify_malformed(schemas, entry, body):
    """Return (layer, detail) for one malformed entry: the layer that rejects it.

    The layers are "properties" (message id, routing key, content type or size), "syntax"
    (strict UTF-8 and JSON parsing), "schema-root" (JSON that is not an object) and "schema"
    (the schema reports the expected field). Two more values mark a mismatch:
    "beyond-schema" when the body is valid against the schema although Tally rejects it, and
    "wrong-field" when the schema reports other fields than the expected one.
    """
    reason = expected_property_reason(entry, body)
    if reason is not None:
        return "properties", reason

    try:
        value = parse_strict(body)
    except StrictJSONError as error:
        return "syntax", error.reason

    errors = schemas.errors(entry["routing_key"], value)
    if not errors:
        return "beyond-schema", "valid against the schema"
    if not isinstance(value, dict):
        # Tally reports a body that is JSON but not an object as invalid_json; the schema
        # reports it as a type error at the root.
        return "schema-root", "invalid_json"
    fields = {field_of(error) for error in errors}
    # For a repeated incident type, uniqueItems names the array and Tally names the repeat,
    # such as incident_types[2].
    fields |= {f"{field_of(error)}[{index}]" for error in errors if error.validator == "uniqueItems"
               for index in _repeated_positions(error.instance)}
    if entry["expected_field"] in fields:
        return "schema", ", ".join(sorted(fields))
    return "wrong-field", "schema errors at " + ", ".join(sorted(fields))


def _repeated_positions(elements):
    return [index for index, element in enumerate(elements) if element in elements[:index]]


def is_integer_written_as_decimal(body, field):
    """Return True when the top-level `field` is a JSON number with a fraction or an exponent,
    such as 1.0 or 4.711e3: JSON Schema's integer type accepts those, but Tally wants an
    integer literal."""
    decoder = json.JSONDecoder(parse_float=lambda text: ("decimal", text),
                               parse_int=lambda text: ("integer", text))
    try:
        value = decoder.decode(body.decode("utf-8"))
    except ValueError:
        return False
    written = value.get(field) if isinstance(value, dict) else None
    return isinstance(written, tuple) and written[0] == "decimal"


def check_malformed(report, schemas, queues):
    """Check that each malformed command fails for its documented reason, at the layer that can
    detect it."""
    folder = os.path.join(queues, "malformed")
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as file:
        entries = json.load(file)["entries"]

    layers = {"properties": 0, "syntax": 0, "schema-root": 0, "schema": 0, "beyond-schema": 0}
    problems = []
    for entry in entries:
        body = read_bytes(os.path.join(folder, entry["file"]))
        reason = entry["expected_reason"]
        layer, detail = classify_malformed(schemas, entry, body)

        if reason in PROPERTY_REASONS or reason in SYNTAX_REASONS:
            expected_layers = {"properties"} if reason in PROPERTY_REASONS else {"syntax", "schema-root"}
            if layer not in expected_layers or detail != reason:
                problems.append(f"{entry['file']}: documented {reason}, found {layer} ({detail})")
        elif layer == "beyond-schema":
            # The one rule of this kind that JSON Schema cannot state; any other is a gap in
            # the schema.
            if not (reason == "invalid_field"
                    and is_integer_written_as_decimal(body, entry["expected_field"])):
                problems.append(f"{entry['file']}: documented {reason} at {entry['expected_field']}, "
                                f"but valid against the schema")
        elif layer != "schema":
            problems.append(f"{entry['file']}: documented {reason} at {entry['expected_field']}, found {layer} ({detail})")
        if layer in layers:
            layers[layer] += 1

    report.check(
        f"all {len(entries)} malformed commands fail as documented: "
        f"{layers['schema'] + layers['schema-root']} by the schema, "
        f"{layers['syntax']} by strict UTF-8 and JSON parsing, {layers['properties']} by properties "
        f"or size, {layers['beyond-schema']} only by Tally's stricter rules",
        problems)


def check_all(arguments):
    report = Report()
    schemas_folder = os.path.join(arguments.queues, "schemas")
    if not os.path.isdir(schemas_folder):
        print(f"skip JSON Schema checks: {schemas_folder} is missing")
        return 0

    schemas = TallySchemas(schemas_folder)
    report.ok(f"{len(schemas.by_routing_key)} schemas in queues/schemas are valid draft 2020-12 schemas")
    check_examples(report, schemas, arguments.queues)
    if arguments.scenario:
        check_scenario(report, schemas, arguments.scenario)
    if arguments.results:
        check_results(report, schemas, arguments.results)
    check_malformed(report, schemas, arguments.queues)
    return 1 if report.failures else 0


def validate_file(arguments):
    schemas = TallySchemas(os.path.join(arguments.queues, "schemas"))
    problems = schemas.problems(arguments.routing_key, read_bytes(arguments.file))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{arguments.file} is a valid {arguments.routing_key} body")
    return 1 if problems else 0


def main(argv):
    default_queues = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "queues")
    parser = argparse.ArgumentParser(description="Check Tally message bodies against the JSON Schemas.")
    parser.add_argument("--queues", default=os.path.normpath(default_queues),
                        help="the queues folder with schemas/, examples/ and malformed/ (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="validate one body file")
    validate.add_argument("routing_key")
    validate.add_argument("file")

    check = commands.add_parser("check-all", help="check the examples, results and malformed corpus")
    check.add_argument("--queues", default=argparse.SUPPRESS)
    check.add_argument("--scenario", help="the tracker scenario file to check")
    check.add_argument("--results", action="append", default=[],
                       help="a JSON-lines file of received results; may be repeated")

    arguments = parser.parse_args(argv)
    if arguments.command == "validate":
        return validate_file(arguments)
    return check_all(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
