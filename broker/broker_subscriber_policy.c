/*
 * broker_subscriber_policy: the password policy of subscriber passwords.
 *
 * Digest authentication lets anyone who sees one challenge and response
 * try passwords offline against it, so what matters is that a password is
 * not guessable: long enough, of several character classes, not built from
 * the subscriber's own names, not one of the passwords every cracking list
 * starts with. The common list is the top of the public "most common
 * passwords" lists (SecLists' 10k, the RockYou-derived rankings) plus the
 * defaults of SIP gear; words are compared lowercase, as typed and with
 * surrounding digits and symbols stripped and l33t substitutions undone.
 * Reasons name the rule, never the password.
 */
#include <ctype.h>
#include <openssl/crypto.h>
#include <string.h>

#include "broker_subscriber_int.h"

#define NAME_PART_MIN 3		/* shorter name parts are not searched for */

static const char *const common_passwords[] = {
	"123456", "password", "12345678", "qwerty", "123456789", "12345",
	"1234", "111111", "1234567", "dragon", "123123", "baseball", "abc123",
	"football", "monkey", "letmein", "696969", "shadow", "master", "666666",
	"qwertyuiop", "123321", "mustang", "1234567890", "michael", "654321",
	"superman", "1qaz2wsx", "7777777", "121212", "000000", "qazwsx",
	"123qwe", "killer", "trustno1", "jordan", "jennifer", "zxcvbnm",
	"asdfgh", "hunter", "buster", "soccer", "harley", "batman", "andrew",
	"tigger", "sunshine", "iloveyou", "charlie", "robert", "thomas",
	"hockey", "ranger", "daniel", "starwars", "klaster", "112233", "george",
	"computer", "michelle", "jessica", "pepper", "1111", "zxcvbn", "555555",
	"11111111", "131313", "freedom", "777777", "pass", "maggie", "159753",
	"aaaaaa", "ginger", "princess", "joshua", "cheese", "amanda", "summer",
	"love", "ashley", "nicole", "chelsea", "biteme", "matthew", "access",
	"yankees", "987654321", "dallas", "austin", "thunder", "taylor",
	"matrix", "william", "corvette", "hello", "martin", "heather", "secret",
	"merlin", "diamond", "1234qwer", "gfhjkm", "hammer", "silver", "222222",
	"88888888", "anthony", "justin", "test", "bailey", "q1w2e3r4t5",
	"patrick", "internet", "scooter", "orange", "11111", "golfer", "cookie",
	"richard", "samantha", "bigdog", "guitar", "jackson", "whatever",
	"mickey", "chicken", "sparky", "snoopy", "maverick", "phoenix", "camaro",
	"peanut", "morgan", "welcome", "falcon", "cowboy", "ferrari", "samsung",
	"andrea", "smokey", "steelers", "joseph", "mercedes", "dakota",
	"arsenal", "eagles", "melissa", "boomer", "booboo", "spider", "nascar",
	"monster", "tigers", "yellow", "xxxxxx", "123123123", "gateway",
	"marina", "diablo", "bulldog", "qwer1234", "compaq", "purple", "hardcore",
	"banana", "junior", "hannah", "123654", "porsche", "lakers", "iceman",
	"money", "cowboys", "987654", "london", "tennis", "999999", "ncc1701",
	"coffee", "scooby", "0000", "miller", "boston", "q1w2e3r4", "brandon",
	"yamaha", "chester", "mother", "forever", "johnny", "edward", "333333",
	"oliver", "redsox", "player", "nikita", "knight", "fender", "barney",
	"midnight", "please", "brandy", "chicago", "badboy", "slayer", "rangers",
	"charles", "angel", "flower", "rabbit", "wizard", "jasper", "enter",
	"rachel", "chris", "steven", "winner", "adidas", "victoria", "natasha",
	"1q2w3e4r", "jasmine", "winter", "prince", "panties", "marine", "ghbdtn",
	"fishing", "cocacola", "casper", "james", "232323", "raiders", "888888",
	"marlboro", "gandalf", "asdfasdf", "crystal", "87654321", "12344321",
	"golden", "8675309", "panther", "lauren", "angela", "thx1138", "angels",
	"madison", "winston", "shannon", "mike", "toyota", "jordan23", "canada",
	"sophie", "apples", "dick", "tiger", "razz", "123abc", "pokemon",
	"qazxsw", "55555", "qwaszx", "muffin", "johnson", "murphy", "cooper",
	"jonathan", "liverpool", "david", "danielle", "159357", "jackie",
	"1990", "123456a", "789456", "turtle", "abcd1234", "scorpion",
	"qazwsxedc", "101010", "butter", "carlos", "password1", "dennis",
	"slipknot", "qwerty123", "booger", "asdf", "1991", "black", "startrek",
	"12341234", "cameron", "newyork", "rainbow", "nathan", "john", "1992",
	"rocket", "viking", "redskins", "asdfghjkl", "1212", "sierra", "peaches",
	"gemini", "doctor", "wilson", "sandra", "helpme", "qwertyui", "victor",
	"florida", "dolphin", "pookie", "captain", "tucker", "blue", "liverpoo",
	"theman", "bandit", "dolphins", "maddog", "packers", "jaguar", "lovers",
	"nicholas", "united", "tiffany", "maxwell", "zzzzzz", "nirvana",
	"jeremy", "suckit", "stupid", "porn", "monica", "elephant", "giants",
	"jackass", "hotdog", "rosebud", "success", "debbie", "mountain",
	"444444", "xxxxxxxx", "warrior", "1q2w3e4r5t", "q1w2e3", "123456q",
	"albert", "metallic", "lucky", "azerty", "7777", "alex", "bond007",
	"alexis", "1111111", "samson", "5150", "willie", "scorpio", "bonnie",
	"gators", "benjamin", "voodoo", "driver", "dexter", "2112", "jason",
	"calvin", "freddy", "212121", "creative", "12345a", "sydney",
	"rush2112", "1989", "asdfghjk", "red123", "bubba", "4815162342",
	"passw0rd", "trouble", "gunner", "happy", "fuckyou", "gordon", "legend",
	"jessie", "stella", "qwert", "eminem", "arthur", "apple", "nissan",
	"bear", "america", "1qazxsw2", "nothing", "parker", "4444", "rebecca",
	"qweqwe", "garfield", "01012011", "beavis", "69696969", "jack",
	"asdasd", "december", "2222", "102030", "252525", "11223344", "magic",
	"apollo", "skippy", "315475", "girls", "kitten", "golf", "copper",
	"braves", "shelby", "godzilla", "beaver", "fred", "tomcat", "august",
	"buddy", "airborne", "1993", "1988", "lifehack", "qqqqqq", "brooklyn",
	"animal", "platinum", "phantom", "online", "xavier", "darkness",
	"blink182", "power", "fish", "green", "789456123", "voyager", "police",
	"travis", "12qwaszx", "heaven", "snowball", "lover", "outlaw",
	"zaq12wsx", "administrator", "admin", "root", "toor", "changeme",
	"default", "guest", "user", "login", "welcome1", "letmein1", "iloveyou1",
	"sip", "voip", "asterisk", "freeswitch", "kamailio", "opensips", "phone",
	"telephone", "mobile", "support", "service", "system", "manager",
	"operator", "public", "private", "secure", "security", "p@ssw0rd",
};

/* Lowercase copy of the ASCII letters of s; others kept as they are. */
static void
lower_copy(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* Strips the digits and symbols around the letters, in place. */
static void
strip_around(char *s)
{
	size_t start = 0, end = strlen(s);

	while (s[start] != '\0' && !isalpha((unsigned char)s[start]))
		start++;
	while (end > start && !isalpha((unsigned char)s[end - 1]))
		end--;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
}

/* Undoes the usual l33t substitutions, in place; 1 when any was made. */
static int
unleet(char *s)
{
	static const char from[] = "@4310$57!", to[] = "aaeiossti";
	const char *p;
	int changed = 0;

	for (; *s != '\0'; s++) {
		if ((p = strchr(from, *s)) != NULL) {
			*s = to[p - from];
			changed = 1;
		}
	}
	return changed;
}

static int
in_common_list(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(common_passwords) /
	    sizeof(common_passwords[0]); i++)
		if (strcmp(s, common_passwords[i]) == 0)
			return 1;
	return 0;
}

/* Whether password is a common one, in any of its forms. */
static int
password_is_common(const char *password)
{
	char form[BROKER_PASSWORD_MAX + 1];
	int common;

	lower_copy(password, form, sizeof(form));
	common = in_common_list(form);
	if (!common) {
		strip_around(form);
		common = in_common_list(form);
	}
	if (!common) {
		lower_copy(password, form, sizeof(form));
		if (unleet(form)) {
			common = in_common_list(form);
			if (!common) {
				strip_around(form);
				common = in_common_list(form);
			}
		}
	}
	OPENSSL_cleanse(form, sizeof(form));
	return common;
}

/* Whether password holds the len bytes at part, ignoring case. */
static int
contains_part(const char *password, const char *part, size_t len)
{
	char needle[RT_URI_MAX];

	if (len < NAME_PART_MIN || len >= sizeof(needle))
		return 0;
	memcpy(needle, part, len);
	needle[len] = '\0';
	return strcasestr(password, needle) != NULL;
}

/* The user part of a sip:/sips:/tel: URI: after the scheme, up to '@',
 * ';' or '?'. */
static const char *
uri_user(const char *uri, size_t *lenp)
{
	const char *user = strchr(uri, ':');

	*lenp = 0;
	if (user == NULL)
		return uri;
	user++;
	*lenp = strcspn(user, "@;?");
	return user;
}

int
broker_password_check(const struct broker_password_policy *pol,
    const char *password, const char *username, const char *public_id,
    char *why, size_t whycap)
{
	int lower = 0, upper = 0, digit = 0, other = 0, classes;
	size_t bytes, chars = 0, len;
	const char *user;

	broker_substore_why(why, whycap, "%s", "");
	if (password == NULL)
		password = "";
	if ((bytes = strlen(password)) > BROKER_PASSWORD_MAX) {
		broker_substore_why(why, whycap, "too long: at most %d bytes",
		    BROKER_PASSWORD_MAX);
		return RT_ERR_DENIED;
	}
	for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			broker_substore_why(why, whycap, "contains a control "
			    "character");
			return RT_ERR_DENIED;
		}
		if ((*p & 0xc0) != 0x80)
			chars++;	/* UTF-8: count code points */
		if (*p >= 'a' && *p <= 'z')
			lower = 1;
		else if (*p >= 'A' && *p <= 'Z')
			upper = 1;
		else if (*p >= '0' && *p <= '9')
			digit = 1;
		else
			other = 1;
	}
	if (chars < pol->min_length) {
		broker_substore_why(why, whycap, "too short: %zu characters, at "
		    "least %zu required", chars, pol->min_length);
		return RT_ERR_DENIED;
	}
	classes = lower + upper + digit + other;
	if (classes < pol->min_classes) {
		broker_substore_why(why, whycap, "too few kinds of characters: %d "
		    "of lower case, upper case, digits, others; at least %d "
		    "required", classes, pol->min_classes);
		return RT_ERR_DENIED;
	}
	if (username != NULL && (contains_part(password, username,
	    strlen(username)) || contains_part(password, username,
	    strcspn(username, "@")))) {
		broker_substore_why(why, whycap, "contains the username");
		return RT_ERR_DENIED;
	}
	if (public_id != NULL) {
		user = uri_user(public_id, &len);
		if (contains_part(password, user, len)) {
			broker_substore_why(why, whycap, "contains the user part "
			    "of the public id");
			return RT_ERR_DENIED;
		}
	}
	if (password_is_common(password)) {
		broker_substore_why(why, whycap, "is one of the most common "
		    "passwords");
		return RT_ERR_DENIED;
	}
	return 0;
}
