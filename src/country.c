/* country.c - the English names of ISO 3166-1 alpha-2 codes, as reports and the verdict say them
 * ("servers in China", "the United States"). Made once from Debian's iso-codes (iso_3166-1.json),
 * its short names, with the article and the common name where the list has a formal one. */
#include "country.h"
#include <stdlib.h>
#include <string.h>

struct country { char cc[3]; const char *name; };

/* sorted by code; XK (Kosovo) is not in ISO 3166-1 but MaxMind's databases use it */
static const struct country NAMES[] = {
	{ "AD", "Andorra" }, { "AE", "the United Arab Emirates" }, { "AF", "Afghanistan" },
	{ "AG", "Antigua and Barbuda" }, { "AI", "Anguilla" }, { "AL", "Albania" }, { "AM", "Armenia" },
	{ "AO", "Angola" }, { "AQ", "Antarctica" }, { "AR", "Argentina" }, { "AS", "American Samoa" },
	{ "AT", "Austria" }, { "AU", "Australia" }, { "AW", "Aruba" }, { "AX", "the Åland Islands" },
	{ "AZ", "Azerbaijan" }, { "BA", "Bosnia and Herzegovina" }, { "BB", "Barbados" },
	{ "BD", "Bangladesh" }, { "BE", "Belgium" }, { "BF", "Burkina Faso" }, { "BG", "Bulgaria" },
	{ "BH", "Bahrain" }, { "BI", "Burundi" }, { "BJ", "Benin" }, { "BL", "Saint Barthélemy" },
	{ "BM", "Bermuda" }, { "BN", "Brunei" }, { "BO", "Bolivia" },
	{ "BQ", "Bonaire, Sint Eustatius and Saba" }, { "BR", "Brazil" }, { "BS", "the Bahamas" },
	{ "BT", "Bhutan" }, { "BV", "Bouvet Island" }, { "BW", "Botswana" }, { "BY", "Belarus" },
	{ "BZ", "Belize" }, { "CA", "Canada" }, { "CC", "the Cocos Islands" },
	{ "CD", "the Democratic Republic of the Congo" }, { "CF", "the Central African Republic" },
	{ "CG", "the Republic of the Congo" }, { "CH", "Switzerland" }, { "CI", "Côte d'Ivoire" },
	{ "CK", "the Cook Islands" }, { "CL", "Chile" }, { "CM", "Cameroon" }, { "CN", "China" },
	{ "CO", "Colombia" }, { "CR", "Costa Rica" }, { "CU", "Cuba" }, { "CV", "Cape Verde" },
	{ "CW", "Curaçao" }, { "CX", "Christmas Island" }, { "CY", "Cyprus" }, { "CZ", "Czechia" },
	{ "DE", "Germany" }, { "DJ", "Djibouti" }, { "DK", "Denmark" }, { "DM", "Dominica" },
	{ "DO", "the Dominican Republic" }, { "DZ", "Algeria" }, { "EC", "Ecuador" }, { "EE", "Estonia" },
	{ "EG", "Egypt" }, { "EH", "Western Sahara" }, { "ER", "Eritrea" }, { "ES", "Spain" },
	{ "ET", "Ethiopia" }, { "FI", "Finland" }, { "FJ", "Fiji" }, { "FK", "the Falkland Islands" },
	{ "FM", "Micronesia" }, { "FO", "the Faroe Islands" }, { "FR", "France" }, { "GA", "Gabon" },
	{ "GB", "the United Kingdom" }, { "GD", "Grenada" }, { "GE", "Georgia" }, { "GF", "French Guiana" },
	{ "GG", "Guernsey" }, { "GH", "Ghana" }, { "GI", "Gibraltar" }, { "GL", "Greenland" },
	{ "GM", "the Gambia" }, { "GN", "Guinea" }, { "GP", "Guadeloupe" }, { "GQ", "Equatorial Guinea" },
	{ "GR", "Greece" }, { "GS", "South Georgia and the South Sandwich Islands" }, { "GT", "Guatemala" },
	{ "GU", "Guam" }, { "GW", "Guinea-Bissau" }, { "GY", "Guyana" }, { "HK", "Hong Kong" },
	{ "HM", "Heard Island and McDonald Islands" }, { "HN", "Honduras" }, { "HR", "Croatia" },
	{ "HT", "Haiti" }, { "HU", "Hungary" }, { "ID", "Indonesia" }, { "IE", "Ireland" },
	{ "IL", "Israel" }, { "IM", "Isle of Man" }, { "IN", "India" },
	{ "IO", "the British Indian Ocean Territory" }, { "IQ", "Iraq" }, { "IR", "Iran" },
	{ "IS", "Iceland" }, { "IT", "Italy" }, { "JE", "Jersey" }, { "JM", "Jamaica" }, { "JO", "Jordan" },
	{ "JP", "Japan" }, { "KE", "Kenya" }, { "KG", "Kyrgyzstan" }, { "KH", "Cambodia" },
	{ "KI", "Kiribati" }, { "KM", "the Comoros" }, { "KN", "Saint Kitts and Nevis" },
	{ "KP", "North Korea" }, { "KR", "South Korea" }, { "KW", "Kuwait" }, { "KY", "the Cayman Islands" },
	{ "KZ", "Kazakhstan" }, { "LA", "Laos" }, { "LB", "Lebanon" }, { "LC", "Saint Lucia" },
	{ "LI", "Liechtenstein" }, { "LK", "Sri Lanka" }, { "LR", "Liberia" }, { "LS", "Lesotho" },
	{ "LT", "Lithuania" }, { "LU", "Luxembourg" }, { "LV", "Latvia" }, { "LY", "Libya" },
	{ "MA", "Morocco" }, { "MC", "Monaco" }, { "MD", "Moldova" }, { "ME", "Montenegro" },
	{ "MF", "Saint Martin" }, { "MG", "Madagascar" }, { "MH", "the Marshall Islands" },
	{ "MK", "North Macedonia" }, { "ML", "Mali" }, { "MM", "Myanmar" }, { "MN", "Mongolia" },
	{ "MO", "Macao" }, { "MP", "the Northern Mariana Islands" }, { "MQ", "Martinique" },
	{ "MR", "Mauritania" }, { "MS", "Montserrat" }, { "MT", "Malta" }, { "MU", "Mauritius" },
	{ "MV", "the Maldives" }, { "MW", "Malawi" }, { "MX", "Mexico" }, { "MY", "Malaysia" },
	{ "MZ", "Mozambique" }, { "NA", "Namibia" }, { "NC", "New Caledonia" }, { "NE", "Niger" },
	{ "NF", "Norfolk Island" }, { "NG", "Nigeria" }, { "NI", "Nicaragua" }, { "NL", "the Netherlands" },
	{ "NO", "Norway" }, { "NP", "Nepal" }, { "NR", "Nauru" }, { "NU", "Niue" }, { "NZ", "New Zealand" },
	{ "OM", "Oman" }, { "PA", "Panama" }, { "PE", "Peru" }, { "PF", "French Polynesia" },
	{ "PG", "Papua New Guinea" }, { "PH", "the Philippines" }, { "PK", "Pakistan" }, { "PL", "Poland" },
	{ "PM", "Saint Pierre and Miquelon" }, { "PN", "the Pitcairn Islands" }, { "PR", "Puerto Rico" },
	{ "PS", "Palestine" }, { "PT", "Portugal" }, { "PW", "Palau" }, { "PY", "Paraguay" },
	{ "QA", "Qatar" }, { "RE", "Réunion" }, { "RO", "Romania" }, { "RS", "Serbia" }, { "RU", "Russia" },
	{ "RW", "Rwanda" }, { "SA", "Saudi Arabia" }, { "SB", "the Solomon Islands" },
	{ "SC", "the Seychelles" }, { "SD", "Sudan" }, { "SE", "Sweden" }, { "SG", "Singapore" },
	{ "SH", "Saint Helena" }, { "SI", "Slovenia" }, { "SJ", "Svalbard and Jan Mayen" },
	{ "SK", "Slovakia" }, { "SL", "Sierra Leone" }, { "SM", "San Marino" }, { "SN", "Senegal" },
	{ "SO", "Somalia" }, { "SR", "Suriname" }, { "SS", "South Sudan" },
	{ "ST", "Sao Tome and Principe" }, { "SV", "El Salvador" }, { "SX", "Sint Maarten" },
	{ "SY", "Syria" }, { "SZ", "Eswatini" }, { "TC", "the Turks and Caicos Islands" }, { "TD", "Chad" },
	{ "TF", "the French Southern Territories" }, { "TG", "Togo" }, { "TH", "Thailand" },
	{ "TJ", "Tajikistan" }, { "TK", "Tokelau" }, { "TL", "Timor-Leste" }, { "TM", "Turkmenistan" },
	{ "TN", "Tunisia" }, { "TO", "Tonga" }, { "TR", "Turkey" }, { "TT", "Trinidad and Tobago" },
	{ "TV", "Tuvalu" }, { "TW", "Taiwan" }, { "TZ", "Tanzania" }, { "UA", "Ukraine" },
	{ "UG", "Uganda" }, { "UM", "the U.S. Minor Outlying Islands" }, { "US", "the United States" },
	{ "UY", "Uruguay" }, { "UZ", "Uzbekistan" }, { "VA", "Vatican City" },
	{ "VC", "Saint Vincent and the Grenadines" }, { "VE", "Venezuela" },
	{ "VG", "the British Virgin Islands" }, { "VI", "the U.S. Virgin Islands" }, { "VN", "Vietnam" },
	{ "VU", "Vanuatu" }, { "WF", "Wallis and Futuna" }, { "WS", "Samoa" }, { "XK", "Kosovo" }, { "YE", "Yemen" },
	{ "YT", "Mayotte" }, { "ZA", "South Africa" }, { "ZM", "Zambia" }, { "ZW", "Zimbabwe" },
};

static int cmp_cc(const void *key, const void *elem)
{
	return strcmp(key, ((const struct country *)elem)->cc);
}

const char *country_name(const char *cc)
{
	if (!cc || strlen(cc) != 2)
		return NULL;
	const struct country *e = bsearch(cc, NAMES, sizeof NAMES / sizeof NAMES[0], sizeof NAMES[0], cmp_cc);
	return e ? e->name : NULL;
}
