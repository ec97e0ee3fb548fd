//! IP functions (spec §5.6): validity, subnet membership, `ipv4ToNumber`, and the private /
//! public / reserved classification. One UDF per function, named by it; every argument is text,
//! and an argument that is not an address gives `false` (or a missing number), never an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanBuilder, Int64Builder, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::Call;

pub(crate) const NAMES: &[&str] = &[
    "isvalidip",
    "isvalidipv4",
    "isvalidipv6",
    "isipinsubnet",
    "isipv4insubnet",
    "isipv6insubnet",
    "ipv4tonumber",
    "isprivateip",
    "ispublicip",
    "isreservedip",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum IpFn {
    Valid,
    ValidV4,
    ValidV6,
    InSubnet,
    V4InSubnet,
    V6InSubnet,
    V4ToNumber,
    Private,
    Public,
    Reserved,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct IpUdf {
    function: IpFn,
    name: &'static str,
    signature: Signature,
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// Whether `ip` lies in `cidr` (`a.b.c.d/n` or `x::/n`; a bare address is a /32 or /128).
pub fn in_subnet(ip: IpAddr, cidr: &str) -> bool {
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    match (ip, net.parse::<IpAddr>()) {
        (IpAddr::V4(a), Ok(IpAddr::V4(n))) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return false;
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), Ok(IpAddr::V6(n))) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return false;
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        // Unique local addresses, fc00::/7.
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Addresses not routable on the public internet for reasons other than RFC 1918.
fn reserved(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || in_subnet(ip, "100.64.0.0/10")
                || in_subnet(ip, "192.0.0.0/24")
                || in_subnet(ip, "198.18.0.0/15")
                || in_subnet(ip, "240.0.0.0/4")
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || in_subnet(ip, "2001:db8::/32")
        }
    }
}

fn boolean(f: IpFn, text: &str, cidr: Option<&str>) -> bool {
    let ip = parse_ip(text);
    match f {
        IpFn::Valid => ip.is_some(),
        IpFn::ValidV4 => text.trim().parse::<Ipv4Addr>().is_ok(),
        IpFn::ValidV6 => text.trim().parse::<Ipv6Addr>().is_ok(),
        IpFn::InSubnet => ip.zip(cidr).is_some_and(|(ip, c)| in_subnet(ip, c)),
        IpFn::V4InSubnet => {
            matches!(ip, Some(IpAddr::V4(_)))
                && ip.zip(cidr).is_some_and(|(ip, c)| in_subnet(ip, c))
        }
        IpFn::V6InSubnet => {
            matches!(ip, Some(IpAddr::V6(_)))
                && ip.zip(cidr).is_some_and(|(ip, c)| in_subnet(ip, c))
        }
        IpFn::Private => ip.is_some_and(private),
        IpFn::Reserved => ip.is_some_and(reserved),
        IpFn::Public => ip.is_some_and(|ip| !private(ip) && !reserved(ip)),
        IpFn::V4ToNumber => false,
    }
}

impl ScalarUDFImpl for IpUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(if self.function == IpFn::V4ToNumber {
            DataType::Int64
        } else {
            DataType::Boolean
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<Vec<_>>>()?;
        let Some(first) = arrays.first() else {
            return exec_err!("{} needs an argument", self.name);
        };
        let text: &StringArray = first.as_string::<i32>();
        let cidr: Option<&StringArray> = arrays.get(1).map(|a| a.as_string::<i32>());
        if self.function == IpFn::V4ToNumber {
            let mut out = Int64Builder::with_capacity(n);
            for i in 0..n {
                let v = (!text.is_null(i))
                    .then(|| text.value(i).trim().parse::<Ipv4Addr>().ok())
                    .flatten()
                    .map(|ip| i64::from(u32::from(ip)));
                out.append_option(v);
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        }
        let mut out = BooleanBuilder::with_capacity(n);
        for i in 0..n {
            if text.is_null(i) {
                out.append_value(false);
                continue;
            }
            let c = cidr.and_then(|c| (!c.is_null(i)).then(|| c.value(i)));
            out.append_value(boolean(self.function, text.value(i), c));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

pub(crate) fn plan(c: &Call<'_>, name: &str) -> crate::error::Result<Option<Expr>> {
    let (function, udf_name, arity) = match name {
        "isvalidip" => (IpFn::Valid, "isValidIp", 1),
        "isvalidipv4" => (IpFn::ValidV4, "isValidIpV4", 1),
        "isvalidipv6" => (IpFn::ValidV6, "isValidIpV6", 1),
        "isipinsubnet" => (IpFn::InSubnet, "isIpInSubnet", 2),
        "isipv4insubnet" => (IpFn::V4InSubnet, "isIpv4InSubnet", 2),
        "isipv6insubnet" => (IpFn::V6InSubnet, "isIpv6InSubnet", 2),
        "ipv4tonumber" => (IpFn::V4ToNumber, "ipv4ToNumber", 1),
        "isprivateip" => (IpFn::Private, "isPrivateIP", 1),
        "ispublicip" => (IpFn::Public, "isPublicIP", 1),
        "isreservedip" => (IpFn::Reserved, "isReservedIP", 1),
        _ => return Ok(None),
    };
    let signature = Signature::exact(vec![DataType::Utf8; arity], Volatility::Immutable);
    let udf = ScalarUDF::new_from_impl(IpUdf {
        function,
        name: udf_name,
        signature,
    });
    let args = (0..arity)
        .map(|i| Ok(datafusion::logical_expr::cast(c.text(i)?, DataType::Utf8)))
        .collect::<crate::error::Result<Vec<_>>>()?;
    Ok(Some(udf.call(args)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_and_classes() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_subnet(ip("192.0.2.7"), "192.0.2.0/24"));
        assert!(!in_subnet(ip("192.0.3.7"), "192.0.2.0/24"));
        assert!(in_subnet(ip("10.1.2.3"), "0.0.0.0/0"));
        assert!(in_subnet(ip("2001:db8::1"), "2001:db8::/32"));
        assert!(!in_subnet(ip("2001:db8::1"), "10.0.0.0/8"));
        assert!(!in_subnet(ip("10.0.0.1"), "10.0.0.0/40"));
        assert!(boolean(IpFn::Private, "172.16.5.4", None));
        assert!(boolean(IpFn::Public, "8.8.8.8", None));
        assert!(boolean(IpFn::Reserved, "127.0.0.1", None));
        assert!(!boolean(IpFn::Public, "not an ip", None));
        assert!(boolean(IpFn::ValidV6, "::1", None) && !boolean(IpFn::ValidV4, "::1", None));
    }
}
