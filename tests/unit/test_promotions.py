"""Every rule of a promo code, pure: window, limits, audience, minimum, rounding, cap, delivery threshold."""

from datetime import UTC, datetime

import pytest

from checkout.promotions.cart_codes import looks_made_up, words_that_could_be_codes
from checkout.promotions.entry import parse_moment
from checkout.promotions.kinds import PromoKind, Refusal
from checkout.promotions.pricing import DeliveryFees, price
from checkout.promotions.rules import PromoTerms, Shopper, normalize_code, percent_off, refusal

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
ANYONE = Shopper(customer_id=7)


def terms(**changes) -> PromoTerms:
    return PromoTerms(**{"code": "XMAS10", "kind": PromoKind.PERCENT, "value": 10, **changes})


def reason(t: PromoTerms, shopper: Shopper = ANYONE, subtotal: int = 5000, now: datetime = NOW):
    refused = refusal(t, shopper, subtotal, now)
    return refused.reason if refused else None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("xmas10", "XMAS10"),
        (" back-7kq2x9 ", "BACK-7KQ2X9"),
        ("AB", None),
        ("A" * 33, None),
        ("50%OFF", None),
        ("", None),
    ],
)
def test_codes_are_case_insensitive_and_well_formed(text, code):
    assert normalize_code(text) == code


def test_window_start_and_end():
    assert reason(terms(starts_at=datetime(2026, 12, 11, tzinfo=UTC))) == Refusal.NOT_YET_VALID
    assert reason(terms(ends_at=datetime(2026, 12, 10, 12, 0, tzinfo=UTC))) == Refusal.EXPIRED
    assert reason(terms(starts_at=NOW, ends_at=datetime(2026, 12, 10, 12, 1, tzinfo=UTC))) is None


def test_an_end_date_is_valid_through_that_whole_day():
    ends = parse_moment("2026-12-10", end=True)
    assert ends == datetime(2026, 12, 11, tzinfo=UTC)
    assert reason(terms(ends_at=ends), now=datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC)) is None
    assert reason(terms(ends_at=ends), now=datetime(2026, 12, 11, tzinfo=UTC)) == Refusal.EXPIRED
    assert parse_moment("2026-12-10") == datetime(2026, 12, 10, tzinfo=UTC)
    assert parse_moment("2026-12-10T18:30") == datetime(2026, 12, 10, 18, 30, tzinfo=UTC)
    assert parse_moment("2026-12-10T18:30+01:00") == datetime(2026, 12, 10, 17, 30, tzinfo=UTC)


def test_use_limit():
    assert reason(terms(max_uses=3, uses=2)) is None
    assert reason(terms(max_uses=3, uses=3)) == Refusal.USED_UP
    assert reason(terms(max_uses=None, uses=10_000)) is None


def test_once_per_customer():
    assert reason(terms(once_per_customer=True), Shopper(7, holds_a_use=True)) == Refusal.ALREADY_USED
    assert reason(terms(once_per_customer=True), Shopper(7, holds_a_use=False)) is None
    assert reason(terms(once_per_customer=False), Shopper(7, holds_a_use=True)) is None


def test_audience_by_segment_or_customer_list():
    vip = terms(segments=("best", "at_risk"), customer_ids=(42,))
    assert reason(vip, Shopper(7, segment="best")) is None
    assert reason(vip, Shopper(7, segment="at_risk")) is None
    assert reason(vip, Shopper(42, segment=None)) is None
    assert reason(vip, Shopper(7, segment="new")) == Refusal.NOT_FOR_YOU
    assert reason(vip, Shopper(7, segment=None)) == Refusal.NOT_FOR_YOU
    assert reason(terms(customer_ids=(42,)), Shopper(7, segment="best")) == Refusal.NOT_FOR_YOU
    assert reason(terms(), Shopper(None)) is None  # no audience: everyone


def test_minimum_says_how_much_is_missing():
    refused = refusal(terms(min_order_minor=4000), ANYONE, 2790, NOW)
    assert refused is not None and refused.reason == Refusal.BELOW_MINIMUM and refused.missing_minor == 1210
    assert refusal(terms(min_order_minor=4000), ANYONE, 4000, NOW) is None


def test_inactive_comes_first_and_minimum_last():
    assert reason(terms(active=False, max_uses=1, uses=1)) == Refusal.INACTIVE
    assert reason(terms(max_uses=1, uses=1, min_order_minor=10_000)) == Refusal.USED_UP


@pytest.mark.parametrize(
    ("subtotal", "percent", "off"),
    [(1005, 10, 101), (1004, 10, 100), (1015, 10, 102), (5, 10, 1), (4, 10, 0), (999, 15, 150)],
)
def test_percent_rounds_half_up_to_the_minor_unit(subtotal, percent, off):
    assert percent_off(subtotal, percent) == off


def test_a_discount_never_makes_the_items_negative():
    priced = price(300, "EUR", DeliveryFees(490), terms(kind=PromoKind.AMOUNT, value=500))
    assert (priced.discount_minor, priced.delivery_minor, priced.total_minor) == (300, 490, 490)
    assert price(300, "EUR", DeliveryFees(), terms(value=100)).total_minor == 0


def test_delivery_fee_and_free_threshold_after_the_discount():
    fees = DeliveryFees(fee_minor=490, free_from_minor=8000)
    assert price(7999, "EUR", fees).delivery_minor == 490
    assert price(8000, "EUR", fees).delivery_minor == 0
    # 85.00 - 10% = 76.50: below 80.00 after the discount, so delivery is charged
    discounted = price(8500, "EUR", fees, terms(value=10))
    assert (discounted.discount_minor, discounted.delivery_minor, discounted.total_minor) == (850, 490, 8140)
    assert price(0, "EUR", fees).delivery_minor == 0  # nothing to deliver
    assert price(5000, "EUR", DeliveryFees(490, None)).delivery_minor == 490  # unset threshold: never free
    assert price(5000, "EUR", DeliveryFees()).total_minor == 5000  # default: no fee


def test_free_delivery_code_waives_the_fee_and_counts_it_as_given():
    priced = price(5000, "EUR", DeliveryFees(490), terms(kind=PromoKind.FREE_DELIVERY, value=0))
    assert (priced.discount_minor, priced.delivery_minor, priced.total_minor) == (0, 0, 5000)
    assert priced.discount_given_minor == 490
    no_fee = price(9000, "EUR", DeliveryFees(490, 8000), terms(kind=PromoKind.FREE_DELIVERY, value=0))
    assert no_fee.discount_given_minor == 0  # already free: the code gave nothing


def test_amount_code_total_is_subtotal_minus_discount_plus_delivery():
    priced = price(4990, "EUR", DeliveryFees(490), terms(kind=PromoKind.AMOUNT, value=500))
    assert priced.total_minor == 4990 - 500 + 490


def test_the_words_of_a_message_that_could_be_codes():
    assert words_that_could_be_codes("spring10", "I have a code spring10!") == ["SPRING10", "HAVE", "CODE"]
    assert words_that_could_be_codes(None, "discount: back-7kq2, ok?")[:2] == ["DISCOUNT", "BACK-7KQ2"]
    assert words_that_could_be_codes(None, "x " * 10_000) == []  # nothing of a code's shape, and a bounded read
    assert len(words_that_could_be_codes(None, "word " * 10_000)) == 1


def test_only_a_word_with_digits_and_letters_is_taken_for_a_code_the_shop_does_not_know():
    assert looks_made_up("SPRNG10") and looks_made_up("BACK-7KQ2")
    assert not looks_made_up("COUPON") and not looks_made_up("2026")
