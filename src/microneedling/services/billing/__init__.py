"""Selling and following a series: packages, the redemption ledger, invoices, payments, refunds
and gift cards (docs/billing.md).

- :mod:`.money`: exact ``Decimal`` amounts per the currency's ISO 4217 minor unit (pure).
- :mod:`.access`: who may do what in billing, and the transaction billing use cases run in.
- :mod:`.settings`: the clinic's currency, tax rates, invoice details and catalogue.
- :mod:`.ledger`: invoice numbers without gaps, invoices, payments, credit notes, gift cards.
- :mod:`.packages`: selling a package (from a plan's quote or the catalogue), redeeming a session.
"""
