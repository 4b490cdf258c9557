//! Snapshot of the frozen binary interface ([`crate::abi`]).
//!
//! abi_stable checks layouts when a library loads; this test makes any change
//! to them a deliberate, reviewed diff. It walks abi_stable's `TypeLayout` of
//! the root module and of the plugin object (whose vtable it reaches) and
//! prints names, sizes, alignments, fields and function signatures, once per
//! type: no addresses and no source lines (neither `Debug` nor `Display` of a
//! layout is stable), so the snapshot changes only when the ABI does. The
//! walk follows fields, function parameters and results, and the phantom
//! fields through which a `PrefixRef` names its prefix type. Sizes
//! are those of a 64-bit target.

use std::collections::BTreeSet;
use std::fmt::Write;

use abi_stable::StableAbi;
use abi_stable::type_layout::{TLData, TLFields, TypeLayout};
use expect_test::expect_file;

use crate::abi::{PluginBox, PluginDeclaration, PluginModRef};

struct Walker {
    seen: BTreeSet<String>,
    out: String,
}

impl Walker {
    fn layout(&mut self, layout: &'static TypeLayout, depth: usize) {
        let pad = "  ".repeat(depth);
        let name = layout.full_type().to_string();
        let kind = match layout.data() {
            TLData::Primitive(primitive) => format!("primitive {primitive:?}"),
            TLData::Opaque => "opaque".into(),
            TLData::Struct { .. } => "struct".into(),
            TLData::Union { .. } => "union".into(),
            TLData::Enum(e) => format!("enum {{{}}}", e.variant_names_iter().collect::<Vec<_>>().join(", ")),
            TLData::PrefixType(p) => format!("prefix type (first suffix field {})", p.first_suffix_field),
        };
        // Generic instantiations share a name (`RResult`): tell them apart by
        // their fields' types.
        let field_types = |fields: TLFields| fields.iter().map(|f| f.full_type().to_string()).collect::<Vec<_>>();
        let fields = match layout.data() {
            TLData::Struct { fields } | TLData::Union { fields } => field_types(fields),
            TLData::Enum(e) => field_types(e.fields),
            TLData::PrefixType(p) => field_types(p.fields),
            TLData::Primitive(_) | TLData::Opaque => Vec::new(),
        };
        let id = format!("{name} {} {kind} {fields:?} {:?}", layout.size(), field_types(layout.phantom_fields()));
        let repeated = !self.seen.insert(id);
        let _ = writeln!(
            self.out,
            "{pad}{name}: size {}, align {}, {kind}{}",
            layout.size(),
            layout.alignment(),
            if repeated { " (as above)" } else { "" }
        );
        if repeated {
            return;
        }
        match layout.data() {
            TLData::Struct { fields } | TLData::Union { fields } => self.fields(fields, depth + 1),
            TLData::Enum(e) => self.fields(e.fields, depth + 1),
            TLData::PrefixType(p) => self.fields(p.fields, depth + 1),
            TLData::Primitive(_) | TLData::Opaque => {}
        }
        // Pointers to prefix types (`PrefixRef`) reach their pointee here.
        let phantom = layout.phantom_fields();
        if !phantom.is_empty() {
            let _ = writeln!(self.out, "{}phantom:", "  ".repeat(depth + 1));
            self.fields(phantom, depth + 1);
        }
    }

    fn fields(&mut self, fields: TLFields, depth: usize) {
        let pad = "  ".repeat(depth);
        for field in fields.iter() {
            let _ = writeln!(self.out, "{pad}.{}: {}", field.name(), field.full_type());
            if field.is_function() {
                for function in field.function_range().iter() {
                    let signature = function.to_string().replace('\n', " ");
                    let _ = writeln!(self.out, "{pad}  fn {signature}");
                    for param in function.param_type_layouts.iter() {
                        self.layout(param(), depth + 2);
                    }
                    if let Some(ret) = function.return_type_layout() {
                        self.layout(ret(), depth + 2);
                    }
                }
            }
            self.layout(field.layout(), depth + 1);
        }
    }
}

fn type_of<T>(_: &T) -> &'static str {
    std::any::type_name::<T>()
}

#[test]
fn the_abi_layout_is_frozen() {
    let mut walker = Walker { seen: BTreeSet::new(), out: String::new() };
    walker.out.push_str("# PluginModRef (the root module)\n");
    walker.layout(<PluginModRef as StableAbi>::LAYOUT, 0);
    walker.out.push_str("\n# PluginBox (the plugin object and its vtable)\n");
    walker.layout(<PluginBox as StableAbi>::LAYOUT, 0);

    // The plain C declaration is read with a bare symbol lookup, not through
    // abi_stable: its size, alignment and field offsets are the contract.
    let d = PluginDeclaration::new("dimension", "x", "0.0.0", "1.0.0");
    let out = &mut walker.out;
    let _ = writeln!(
        out,
        "\n# PluginDeclaration (plain C)\nsize {}, align {}",
        std::mem::size_of::<PluginDeclaration>(),
        std::mem::align_of::<PluginDeclaration>()
    );
    let fields = [
        ("magic", std::mem::offset_of!(PluginDeclaration, magic), type_of(&d.magic)),
        (
            "declaration_version",
            std::mem::offset_of!(PluginDeclaration, declaration_version),
            type_of(&d.declaration_version),
        ),
        ("kind", std::mem::offset_of!(PluginDeclaration, kind), type_of(&d.kind)),
        ("name", std::mem::offset_of!(PluginDeclaration, name), type_of(&d.name)),
        ("version", std::mem::offset_of!(PluginDeclaration, version), type_of(&d.version)),
        ("api_version", std::mem::offset_of!(PluginDeclaration, api_version), type_of(&d.api_version)),
    ];
    for (name, offset, ty) in fields {
        let _ = writeln!(out, ".{name}: {ty} at {offset}");
    }
    let _ = writeln!(
        out,
        "magic {:?}, declaration version {}, symbol {}",
        std::str::from_utf8(&crate::abi::DECLARATION_MAGIC).unwrap_or_default(),
        crate::abi::DECLARATION_VERSION,
        crate::abi::DECLARATION_SYMBOL
    );
    expect_file!["../abi-layout.txt"].assert_eq(&walker.out);
}
